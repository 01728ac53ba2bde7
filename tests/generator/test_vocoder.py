"""The vocoder: exact STFT pair, fast Griffin-Lim, mel inversion against librosa's."""

from __future__ import annotations

import time

import librosa
import numpy as np
import torch

from generator.engine import audio, vocoder
from tests.generator.engine_helpers import SR, brahms


def test_it_computes_the_same_mel_filterbank_as_librosa():
    ours = audio.mel_filterbank()
    theirs = librosa.filters.mel(sr=SR, n_fft=audio.N_FFT, n_mels=audio.N_MELS, fmin=0.0)
    assert ours.shape == (audio.N_MELS, audio.N_FFT // 2 + 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-8)


def test_it_matches_torch_stft_and_inverts_it():
    signal = torch.from_numpy(brahms(2.0))
    ours = vocoder.stft(signal[None])[0].T
    theirs = audio.stft(signal)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
    back = vocoder.istft(vocoder.stft(signal[None]), signal.numel())[0]
    assert float((back - signal).abs().max()) < 1e-5


def test_it_reconstructs_phase_from_magnitudes():
    signal = brahms(3.0)
    mag = vocoder.magnitude(signal)
    gen = torch.Generator().manual_seed(0)
    out = vocoder.griffin_lim(mag[None], len(signal), generator=gen)[0]
    assert out.shape == (len(signal),)
    assert vocoder.spectral_convergence(out, mag) < 0.12


def test_it_beats_librosa_mel_to_audio_on_a_real_clip():
    signal = brahms(5.0)
    mag = vocoder.magnitude(signal)
    mel_power = torch.from_numpy(audio.mel_filterbank()) @ mag.square()
    np.random.seed(0)  # librosa's Griffin-Lim draws its initial phase from numpy
    theirs = librosa.feature.inverse.mel_to_audio(
        mel_power.numpy(), sr=SR, n_fft=audio.N_FFT, hop_length=audio.HOP, length=len(signal)
    )
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    ours = vocoder.log_mel_to_audio(mel_power.log()[None], len(signal), generator=gen)[0]
    elapsed = time.perf_counter() - start
    sc_ours = vocoder.spectral_convergence(ours, mag)
    sc_theirs = vocoder.spectral_convergence(theirs, mag)
    assert sc_ours < 0.2
    assert sc_ours < sc_theirs
    assert elapsed < 5.0  # about 0.1 s when the machine is idle; generous for a shared CPU


def test_it_is_reproducible_with_a_seeded_generator():
    spec = audio.log_mel(brahms(2.0))
    runs = [
        vocoder.log_mel_to_audio(spec, generator=torch.Generator().manual_seed(seed))
        for seed in (3, 3, 4)
    ]
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_it_solves_mel_to_linear_better_than_the_pseudo_inverse():
    mag = vocoder.magnitude(brahms(2.0))
    basis = torch.from_numpy(audio.mel_filterbank())
    mel_power = (basis @ mag.square())[None]
    rough = vocoder.mel_to_power(mel_power, n_iter=0)
    refined = vocoder.mel_to_power(mel_power)
    # Mapped back through the filterbank, the solution gives the mel power it came from
    # (about 0.1 % off; the clamped pseudo-inverse is about 5 % off).
    fit = float((basis @ refined[0] - mel_power[0]).norm() / mel_power[0].norm())
    assert fit < 0.01

    def error(power: torch.Tensor) -> float:
        return float((power[0].sqrt() - mag).norm() / mag.norm())

    assert error(refined) < 0.9 * error(rough)


def test_it_reports_every_iteration():
    fractions = []
    config = vocoder.VocoderConfig(n_iter=8)
    vocoder.log_mel_to_audio(audio.log_mel(brahms(1.0)), config=config, step=fractions.append)
    assert fractions == [(i + 1) / 8 for i in range(8)]


def test_it_warms_up():
    assert vocoder.warm_up() < 10.0
