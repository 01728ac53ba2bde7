"""The one audio front end: decode, channels, resample, normalise, log-mel, images, encode.

Everything that turns bytes into model input (uploads, the CLI, workers,
training, tests) goes through here, so training and inference always see the
same spectrogram. No Django imports: this module runs in plain Python.

Fixed parameters (``DEFAULT``, an ``AudioParams``; docs/engine.md says why):
    44,100 Hz (full band; stereo kept where asked); STFT n_fft 2048, hop 512,
    Hann window (86 frames a second, as the first release's 22,050/1024/256);
    160 mel bands from 0 to 22,050 Hz (Slaney scale and norm, as librosa), so
    40 bands lie below 1 kHz where 128 bands to 11,025 Hz had 38;
    log-mel = ln(max(mel power, 1e-5)).
A trained checkpoint carries its own ``AudioParams`` (``FIRST_RELEASE`` for
the networks trained at 22,050 Hz / 128 bands); every function that depends on
them takes a ``params`` argument.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf


@dataclass(frozen=True)
class AudioParams:
    """Sample rate, STFT and mel layout of a spectrogram; checkpoints carry one in their config.

    Frozen and hashable, so filterbanks and windows are cached per parameter set.
    """

    sample_rate: int = 44_100
    n_fft: int = 2048
    hop: int = 512
    n_mels: int = 160
    f_min: float = 0.0
    f_max: float = 22_050.0
    log_floor: float = 1e-5

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> AudioParams:
        """Check and build parameters read from a file; ValueError says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("audio parameters must be a mapping")
        try:
            params = cls(
                sample_rate=_whole(data["sample_rate"]),
                n_fft=_whole(data["n_fft"]),
                hop=_whole(data["hop"]),
                n_mels=_whole(data["n_mels"]),
                f_min=float(data.get("f_min", 0.0)),
                f_max=float(data.get("f_max", _whole(data["sample_rate"]) / 2)),
                log_floor=float(data.get("log_floor", 1e-5)),
            )
        except KeyError as exc:
            raise ValueError(f"audio parameters lack {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"audio parameters are not numbers: {exc}") from None
        params.check()
        return params

    def check(self) -> None:
        """Raise ValueError unless the STFT, the vocoder and the filterbank can use these."""
        if not 8_000 <= self.sample_rate <= 192_000:
            raise ValueError(f"sample rate {self.sample_rate} is outside 8,000..192,000 Hz")
        if self.n_fft < 16 or self.hop < 1 or self.n_fft % self.hop:
            raise ValueError(f"hop {self.hop} must divide n_fft {self.n_fft}")
        if not 1 <= self.n_mels <= self.n_bins:
            raise ValueError(f"{self.n_mels} mel bands do not fit {self.n_bins} FFT bins")
        if not 0.0 <= self.f_min < self.f_max <= self.sample_rate / 2:
            raise ValueError(f"mel range {self.f_min}..{self.f_max} Hz is not inside the band")
        if not 0.0 < self.log_floor < 1.0:
            raise ValueError(f"log floor {self.log_floor} must lie between 0 and 1")


def _whole(value) -> int:
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


DEFAULT = AudioParams()
# What the first release used, and what its trained checkpoints were trained on.
FIRST_RELEASE = AudioParams(sample_rate=22_050, n_fft=1024, hop=256, n_mels=128, f_max=11_025.0)

SAMPLE_RATE = DEFAULT.sample_rate
N_FFT = DEFAULT.n_fft
HOP = DEFAULT.hop
N_MELS = DEFAULT.n_mels
F_MIN = DEFAULT.f_min
F_MAX = DEFAULT.f_max
LOG_FLOOR = DEFAULT.log_floor
TARGET_RMS_DB = -20.0
SILENCE_RMS = 1e-4

# What an upload may declare, checked on the header before any sample is decoded: a
# small file can claim hundreds of channels at a huge rate and expand to tens of GB.
MAX_CHANNELS = 8
MIN_SOURCE_RATE = 8_000
MAX_SOURCE_RATE = 192_000
# The centred STFT pads half a window by reflection, which needs more samples than
# that: anything shorter (after resampling) cannot be analysed.
MIN_SAMPLES = N_FFT // 2 + 1
# Decoding holds at most this many bytes of source samples at once, whatever the
# header declares: blocks are mixed to mono and resampled as they arrive.
DECODE_BLOCK_BYTES = 4 * 1024 * 1024
# Encoders get this many frames per call; libsndfile's Vorbis encoder crashes when
# one call hands it minutes of audio.
_ENCODE_BLOCK_FRAMES = 65_536
# MP3 downloads are LAME VBR quality 2 (V2, "transparent" for most listeners);
# libsndfile maps a compression level in [0, 1] to LAME's VBR quality 0-10.
_MP3_COMPRESSION = 0.2

ENCODINGS = {
    "wav": ("WAV", "PCM_16", "audio/wav"),
    "flac": ("FLAC", "PCM_16", "audio/flac"),
    "ogg": ("OGG", "VORBIS", "audio/ogg"),
    "mp3": ("MP3", "MPEG_LAYER_III", "audio/mpeg"),
}


class AudioError(ValueError):
    """Input audio that cannot be used; the message is meant for the person who sent it."""


class NotAudioError(AudioError):
    pass


class EmptyAudioError(AudioError):
    pass


class TooLongError(AudioError):
    pass


class TooShortError(AudioError):
    pass


class UnsupportedLayoutError(AudioError):
    """Too many channels, or a sample rate outside what is accepted."""


@dataclass(frozen=True)
class Decoded:
    """Audio decoded from a file at SAMPLE_RATE (at most two channels), and what it declared."""

    samples: np.ndarray  # float32[T] (mono file) or float32[2, T], at SAMPLE_RATE, not normalised
    sample_rate: int  # the file's own rate
    channels: int  # the file's own channel count
    frames: int  # frames read from the file, at its own rate
    format: str
    subtype: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


Source = str | Path | BinaryIO


def check_layout(channels: int, sample_rate: int) -> None:
    """Refuse a channel count or sample rate outside the accepted range, with the limits."""
    if sample_rate <= 0 or channels <= 0:
        raise NotAudioError("The file's header is not valid audio.")
    if channels > MAX_CHANNELS:
        raise UnsupportedLayoutError(
            f"The audio has {channels} channels; at most {MAX_CHANNELS} are accepted."
        )
    if not MIN_SOURCE_RATE <= sample_rate <= MAX_SOURCE_RATE:
        raise UnsupportedLayoutError(
            f"The audio's sample rate is {sample_rate:,} Hz; rates from "
            f"{MIN_SOURCE_RATE:,} to {MAX_SOURCE_RATE:,} Hz are accepted."
        )


def decode(source: Source, max_seconds: float | None = None) -> Decoded:
    """Decode any file libsndfile reads, judged by its content alone, in bounded memory.

    The header's channels and rate are checked before decoding; then blocks of at
    most DECODE_BLOCK_BYTES are folded to at most two channels (``fold_to_pair``)
    and fed to one streaming soxr resampler, so memory grows with the output (at
    most stereo at SAMPLE_RATE), never with
    what the header declares. Raises NotAudioError for anything libsndfile cannot
    parse, UnsupportedLayoutError past the limits above, EmptyAudioError for zero
    frames, TooShortError below MIN_SAMPLES, TooLongError past max_seconds
    (checked while reading).
    """
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        with sf.SoundFile(source) as f:
            sample_rate, channels = int(f.samplerate), int(f.channels)
            check_layout(channels, sample_rate)
            limit = None if max_seconds is None else int(max_seconds * sample_rate)
            frames, samples = _read_folded(f, limit, max_seconds)
            fmt, subtype = f.format, f.subtype
    except sf.LibsndfileError as exc:
        raise NotAudioError(
            "This file could not be read as audio (WAV, FLAC, OGG, Opus or MP3)."
        ) from exc
    except RuntimeError as exc:  # libsndfile reports some corrupt streams this way
        raise NotAudioError(f"The audio data is corrupt: {exc}") from exc
    if frames == 0:
        raise EmptyAudioError("The file holds no audio (zero length).")
    if samples.shape[-1] < MIN_SAMPLES:
        raise TooShortError(
            f"The audio is too short ({1000 * frames / sample_rate:.0f} ms); "
            f"at least {math.ceil(1000 * MIN_SAMPLES / SAMPLE_RATE)} ms is needed."
        )
    return Decoded(samples, sample_rate, channels, frames, fmt, subtype)


def _read_folded(f: sf.SoundFile, limit: int | None, max_seconds: float | None):
    """Read f block by block into (frames read, float32[T] or [2, T] at SAMPLE_RATE)."""
    block_frames = max(1024, DECODE_BLOCK_BYTES // (4 * f.channels))
    width = min(f.channels, 2)
    stream = None
    if f.samplerate != SAMPLE_RATE:
        import soxr

        stream = soxr.ResampleStream(
            f.samplerate, SAMPLE_RATE, width, dtype="float32", quality="HQ"
        )
    out: list[np.ndarray] = []
    total = 0
    while True:
        block = f.read(block_frames, dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            break
        total += block.shape[0]
        if limit is not None and total > limit:
            raise TooLongError(
                f"The audio is longer than the limit of {_seconds_words(max_seconds)}."
            )
        if width == 2:
            block = np.ascontiguousarray(fold_to_pair(block.T).T)
        if not np.all(np.isfinite(block)):
            raise NotAudioError("The audio data is corrupt (it holds non-numbers).")
        out.append(block if stream is None else stream.resample_chunk(block))
    if stream is not None and total:
        out.append(stream.resample_chunk(np.zeros((0, width), dtype=np.float32), last=True))
    samples = np.concatenate(out) if out else np.zeros((0, width), dtype=np.float32)
    del out  # the blocks, now copied: keep at most two copies of the output alive
    samples = samples.astype(np.float32, copy=False)
    return total, (samples[:, 0].copy() if width == 1 else np.ascontiguousarray(samples.T))


def _seconds_words(seconds: float | None) -> str:
    if seconds is None:
        return "no limit"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} seconds"


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average channels: float32[C, T] -> float32[T]."""
    return samples.mean(axis=0, dtype=np.float32) if samples.ndim == 2 else samples


def fold_to_pair(samples: np.ndarray) -> np.ndarray:
    """Fold float32[C, T] (C >= 2) into two channels: the first two, the rest shared at -3 dB."""
    pair = samples[:2].astype(np.float32, copy=True)
    if samples.shape[0] > 2:
        pair += np.float32(math.sqrt(0.5)) * samples[2:].mean(axis=0, dtype=np.float32)
    return pair


def to_stereo(samples: np.ndarray) -> np.ndarray:
    """Keep a stereo image: float32[C, T] -> float32[2, T], or float32[T] when there is none.

    Two channels stay as they are; more are folded into two (the first two as
    left and right, the rest shared equally by both at -3 dB). A file whose
    channels are the same (dual mono) has no image and comes back mono, so it
    costs no more than mono to store and process.
    """
    if samples.ndim == 1 or samples.shape[0] == 1:
        return to_mono(samples)
    pair = fold_to_pair(samples)
    side = 0.5 * (pair[0] - pair[1])
    if rms_db(side) < rms_db(pair) - 60.0:
        return to_mono(pair)
    return pair


def resample(samples: np.ndarray, orig_sr: int, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Resample float32[T] or float32[C, T] with soxr's high-quality filter."""
    if orig_sr == target_sr:
        return samples.astype(np.float32, copy=False)
    import soxr

    if samples.ndim == 2:  # soxr wants frames first
        out = soxr.resample(np.ascontiguousarray(samples.T), orig_sr, target_sr, quality="HQ")
        return np.ascontiguousarray(out.T, dtype=np.float32)
    return soxr.resample(samples, orig_sr, target_sr, quality="HQ").astype(np.float32)


def rms_db(samples: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    return 20 * math.log10(max(rms, 1e-12))


def is_silent(samples: np.ndarray) -> bool:
    return rms_db(samples) < 20 * math.log10(SILENCE_RMS)


def loudness_normalise(samples: np.ndarray, target_db: float = TARGET_RMS_DB) -> np.ndarray:
    """Scale to a target RMS level, never past full scale; silence stays silent."""
    if is_silent(samples):
        return samples.astype(np.float32, copy=True)
    gain = 10 ** ((target_db - rms_db(samples)) / 20)
    peak = float(np.max(np.abs(samples)))
    gain = min(gain, 0.99 / peak)
    return (samples * gain).astype(np.float32)


def prepare(decoded: Decoded, stereo: bool = False) -> np.ndarray:
    """Turn decoded audio into the analysis signal at SAMPLE_RATE, loudness-normalised.

    Mono float32[T] by default; with ``stereo`` a file with a stereo image
    gives float32[2, T] (see ``to_stereo``), anything else float32[T].
    """
    channels = to_stereo(decoded.samples) if stereo else to_mono(decoded.samples)
    return loudness_normalise(channels)


def load(source: Source, max_seconds: float | None = None, stereo: bool = False) -> np.ndarray:
    """Decode and prepare in one step: float32[T] (or [2, T] with ``stereo``) at SAMPLE_RATE."""
    return prepare(decode(source, max_seconds=max_seconds), stereo=stereo)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (as librosa, htk=False)."""
    hz = np.asanyarray(hz, dtype=np.float64)
    mels = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    mels[log_region] = 15.0 + np.log(hz[log_region] / 1000.0) / (np.log(6.4) / 27.0)
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asanyarray(mels, dtype=np.float64)
    hz = mels * (200.0 / 3)
    log_region = mels >= 15.0
    hz[log_region] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mels[log_region] - 15.0))
    return hz


@lru_cache(maxsize=4)
def mel_filterbank(params: AudioParams = DEFAULT) -> np.ndarray:
    """float32[n_mels, n_fft // 2 + 1], librosa's Slaney mel filters.

    Computed here rather than by librosa.filters.mel (same formula, same
    numbers; a test checks) because importing librosa costs over a second,
    which a worker's first job and the vocoder's cold start should not pay.
    """
    fft_freqs = np.linspace(0, params.sample_rate / 2, params.n_bins)
    edges = _hz_to_mel(np.array([params.f_min, params.f_max]))
    mel_f = _mel_to_hz(np.linspace(edges[0], edges[1], params.n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None].astype(np.float32)
    return weights


def bands_below(hz: float, params: AudioParams = DEFAULT) -> int:
    """How many mel bands are centred below ``hz``: the resolution a layout gives low notes."""
    edges = _hz_to_mel(np.array([params.f_min, params.f_max]))
    centres = _mel_to_hz(np.linspace(edges[0], edges[1], params.n_mels + 2))[1:-1]
    return int(np.count_nonzero(centres < hz))


@lru_cache(maxsize=4)
def _hann(n_fft: int):
    import torch

    return torch.hann_window(n_fft)


def stft(audio, params: AudioParams = DEFAULT):
    """Complex STFT: Tensor[..., T] -> Tensor[..., n_fft // 2 + 1, frames]."""
    import torch

    return torch.stft(
        audio,
        params.n_fft,
        params.hop,
        window=_hann(params.n_fft),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )


def log_mel(audio, params: AudioParams = DEFAULT):
    """Log-mel power spectrogram: Tensor[..., T] (or ndarray) -> Tensor[..., n_mels, frames]."""
    import torch

    audio = torch.as_tensor(audio, dtype=torch.float32)
    power = stft(audio, params).abs().square()
    mel = torch.from_numpy(mel_filterbank(params)) @ power
    return torch.log(mel.clamp_min(params.log_floor))


def waveform_peaks(samples: np.ndarray, points: int = 600) -> list[float]:
    """Peak amplitude per column for drawing a waveform, scaled to 0..1 (channels share one)."""
    if samples.ndim == 2:
        samples = np.abs(samples).max(axis=0)
    if samples.size == 0:
        return []
    points = max(1, min(points, samples.size))
    edges = np.linspace(0, samples.size, points + 1).astype(int)
    peaks = np.maximum.reduceat(np.abs(samples), edges[:-1])
    top = float(peaks.max()) or 1.0
    return [round(float(p) / top, 3) for p in peaks]


# A perceptual colour ramp (dark violet to pale yellow) for spectrogram images.
# fmt: off
_RAMP = np.array(
    [
        [0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122],
        [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191],
    ],
    dtype=np.float32,
)
# fmt: on


def spectrogram_png(log_mel_spec: np.ndarray, width: int = 1200, height: int = 256) -> bytes:
    """Render float[n_mels, frames] as a PNG, low frequencies at the bottom, 80 dB range."""
    from PIL import Image

    spec = np.asarray(log_mel_spec, dtype=np.float32)
    if spec.ndim != 2 or spec.shape[1] == 0:
        raise AudioError("Nothing to draw: the spectrogram is empty.")
    top = float(spec.max())
    floor = top - 80 / (10 / math.log(10))  # 80 dB below the loudest bin, in natural-log units
    scaled = np.clip((spec - floor) / max(top - floor, 1e-6), 0, 1)[::-1]
    position = scaled * (len(_RAMP) - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(_RAMP) - 1)
    frac = (position - low)[..., None]
    rgb = (_RAMP[low] * (1 - frac) + _RAMP[high] * frac).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _writer(dest: BinaryIO, fmt: str, sample_rate: int, channels: int = 1) -> sf.SoundFile:
    try:
        container, subtype, _ = ENCODINGS[fmt]
    except KeyError:
        raise AudioError(f"Unknown format {fmt!r}; choose one of {', '.join(ENCODINGS)}.") from None
    options = {}
    if fmt == "mp3":
        options = {"compression_level": _MP3_COMPRESSION, "bitrate_mode": "VARIABLE"}
    return sf.SoundFile(
        dest,
        "w",
        samplerate=sample_rate,
        channels=channels,
        format=container,
        subtype=subtype,
        **options,
    )


def encode_to(dest: BinaryIO, samples: np.ndarray, fmt: str, sample_rate: int = SAMPLE_RATE):
    """Encode float32[T] (mono) or float32[C, T] into dest as wav, flac, ogg or mp3, in blocks."""
    frames_first = samples if samples.ndim == 1 else samples.T  # libsndfile wants frames first
    channels = 1 if samples.ndim == 1 else samples.shape[0]
    with _writer(dest, fmt, sample_rate, channels) as out:
        for start in range(0, frames_first.shape[0], _ENCODE_BLOCK_FRAMES):
            block = frames_first[start : start + _ENCODE_BLOCK_FRAMES]
            out.write(np.ascontiguousarray(np.clip(block, -1.0, 1.0), dtype=np.float32))


def encode(samples: np.ndarray, fmt: str, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Encode float32[T] (mono) or float32[C, T] as wav, flac, ogg (Vorbis) or mp3, in memory."""
    buffer = io.BytesIO()
    encode_to(buffer, samples, fmt, sample_rate)
    return buffer.getvalue()


def transcode(source: Source, dest: BinaryIO, fmt: str) -> None:
    """Re-encode a mono or stereo file (a track's WAV master) into dest, one block at a time.

    Memory stays at one block whatever the length, and the encoder never gets one
    huge write.
    """
    if hasattr(source, "seek"):
        source.seek(0)
    with sf.SoundFile(source) as f:
        if f.channels > 2:
            raise AudioError(f"Expected mono or stereo audio, found {f.channels} channels.")
        with _writer(dest, fmt, int(f.samplerate), int(f.channels)) as out:
            for block in f.blocks(_ENCODE_BLOCK_FRAMES, dtype="float32"):
                out.write(np.clip(block, -1.0, 1.0))


def content_type(fmt: str) -> str:
    return ENCODINGS[fmt][2]
