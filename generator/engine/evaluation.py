"""Offline quality metrics for generated audio, each reported beside a floor and a baseline.

No metric is trusted alone, so a report always carries what it should be
compared with: Fréchet and kernel (MMD) distances between embedding
distributions of generated and real audio sit beside the real-vs-real floor
(two halves of the reference set); chroma and pitch-class similarity to the
source sit beside the chance level of unrelated clips; and the degenerate
baselines (silence, white noise, the source shuffled in 0.25 s chunks) are
scored the same way, so "better than shuffling" can be read off directly.

- embeddings: the tagger's penultimate layer per 1.5 s window (generator/tagging.py).
- Fréchet distance (FAD-style): ||mu_a - mu_b||^2 + Tr(Ca + Cb - 2 (Ca Cb)^1/2).
- kernel distance: unbiased MMD^2 with the cubic polynomial kernel (as KID).
- chroma similarity: cosine of mean chroma vectors; pitch-class histogram:
  cosine of histograms of each frame's strongest pitch class.
- vocoder: spectral convergence, log-spectral distance and multi-resolution STFT
  distance of audio -> mel -> audio (the last hears phase that embeddings cannot).
- novelty: each generated window's distance to its nearest training window,
  flagged as a near-copy when far closer than held-out real music ever gets.

Audio is float32[T] at audio.SAMPLE_RATE (44,100 Hz) throughout. No Django imports.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generator.engine import audio

log = logging.getLogger(__name__)

SHUFFLE_SECONDS = 0.25


def frechet_distance(a: np.ndarray, b: np.ndarray, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians fitted to embeddings float[N, D] and float[M, D]."""
    from scipy import linalg

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("Fréchet distance needs at least two embeddings on each side.")
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca = np.cov(a, rowvar=False) + eps * np.eye(a.shape[1])
    cb = np.cov(b, rowvar=False) + eps * np.eye(b.shape[1])
    covmean = np.asarray(linalg.sqrtm(ca @ cb)).real
    return float(max(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * covmean), 0.0))


def kernel_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Unbiased MMD^2, kernel (x.y / d + 1)^3 as KID: float[N, D] vs float[M, D]."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = a.shape[1]
    kaa = (a @ a.T / d + 1) ** 3
    kbb = (b @ b.T / d + 1) ** 3
    kab = (a @ b.T / d + 1) ** 3
    n, m = len(a), len(b)
    term_a = (kaa.sum() - np.trace(kaa)) / (n * (n - 1))
    term_b = (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
    return float(term_a + term_b - 2 * kab.mean())


@lru_cache(maxsize=1)
def _chroma_filters() -> np.ndarray:
    import librosa

    return librosa.filters.chroma(sr=audio.SAMPLE_RATE, n_fft=audio.N_FFT).astype(np.float32)


def _chroma(samples: np.ndarray) -> np.ndarray:
    """float32[12, frames] chroma from the STFT power (librosa's filters, our STFT)."""
    power = audio.stft(torch.from_numpy(np.asarray(samples, dtype=np.float32))).abs().square()
    return _chroma_filters() @ power.numpy()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def chroma_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of the mean chroma vectors of two clips (1 = same pitch content)."""
    return _cosine(_chroma(a).mean(1), _chroma(b).mean(1))


def pitch_class_histogram(samples: np.ndarray) -> np.ndarray:
    """float[12]: how often each pitch class is the strongest one in a frame (loud frames only)."""
    chroma = _chroma(samples)
    energy = chroma.sum(0)
    loud = energy > 0.05 * max(float(energy.max()), 1e-12)
    hist = np.bincount(chroma[:, loud].argmax(0), minlength=12).astype(np.float64)
    return hist / max(hist.sum(), 1.0)


def pitch_class_similarity(a: np.ndarray, b: np.ndarray) -> float:
    return _cosine(pitch_class_histogram(a), pitch_class_histogram(b))


def shuffle_chunks(
    samples: np.ndarray, seed: int = 0, seconds: float = SHUFFLE_SECONDS
) -> np.ndarray:
    """The same audio cut into chunks and put back in random order (the baseline to beat)."""
    size = max(1, int(seconds * audio.SAMPLE_RATE))
    chunks = [samples[i : i + size] for i in range(0, len(samples), size)]
    order = np.random.default_rng(seed).permutation(len(chunks))
    return np.concatenate([chunks[i] for i in order]).astype(np.float32)


def shuffle_beats(samples: np.ndarray, seed: int = 0) -> np.ndarray:
    """The same audio cut at its tracked beats and put back in random order.

    A harder baseline than 0.25 s chunks: every piece keeps its sound, tempo and
    beat-long phrases; only the order, and so the longer structure, is lost.
    """
    from generator.engine import rhythm

    grid = rhythm.track(audio.log_mel(samples), audio.DEFAULT.frame_rate)
    cuts = sorted(
        {int(round(b * audio.HOP)) for b in grid.beats if 0 < b * audio.HOP < len(samples)}
    )
    edges = [0, *cuts, len(samples)]
    chunks = [samples[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
    order = np.random.default_rng(seed).permutation(len(chunks))
    return np.concatenate([chunks[i] for i in order]).astype(np.float32)


def replay(continuation: np.ndarray, prompt: np.ndarray, seconds: float = 4.0) -> float:
    """Best normalised mel correlation of the continuation's first seconds anywhere in the prompt.

    Music that goes on (a real next 10 s) scores about 0.72; a continuation that
    loops its prompt scores near 1.
    """
    first = audio.log_mel(continuation[: int(seconds * audio.SAMPLE_RATE)]).numpy()
    ref = audio.log_mel(prompt).numpy()
    width = first.shape[-1]
    if ref.shape[-1] < width:
        ref = np.concatenate([ref, np.full((ref.shape[0], width - ref.shape[-1]), ref.min())], 1)
    a = (first - first.mean()) / (first.std() + 1e-8)
    windows = np.lib.stride_tricks.sliding_window_view(ref, width, axis=1)  # [M, n, W]
    # a has zero mean, so sum(a * w) / (N std_w) is the Pearson correlation with window w.
    std = windows.std(axis=(0, 2)) + 1e-8
    corr = np.einsum("mw,mnw->n", a, windows) / a.size
    return round(float((corr / std).max()), 4)


def rhythm_figures(samples: np.ndarray) -> dict[str, float]:
    """Onsets a second and tempo strength (beat-tracking confidence, 0..1) of a clip."""
    import librosa

    from generator.engine import rhythm

    env = rhythm.onset_envelope(audio.log_mel(samples))
    rate = audio.DEFAULT.frame_rate
    onsets = librosa.onset.onset_detect(
        onset_envelope=env, sr=audio.SAMPLE_RATE, hop_length=audio.HOP
    )
    seconds = len(samples) / audio.SAMPLE_RATE
    return {
        "onset_rate": round(len(onsets) / seconds, 3) if np.any(env) else 0.0,
        "tempo_strength": round(rhythm.tempo_strength(env, rate), 4),
    }


def rhythm_summary(clips: Sequence[np.ndarray]) -> dict[str, float]:
    """Mean, minimum and maximum onset rate and tempo strength over clips."""
    figures = [rhythm_figures(c) for c in clips]
    out = {}
    for key in ("onset_rate", "tempo_strength"):
        values = [f[key] for f in figures]
        out[key] = round(float(np.mean(values)), 4)
        out[f"{key}_min"] = round(float(np.min(values)), 4)
        out[f"{key}_max"] = round(float(np.max(values)), 4)
    return out


def style_accuracy(clips: Sequence[np.ndarray], wanted: Sequence[str], tagger: Any = None) -> float:
    """Share of clips whose tagger's top label is the style asked for."""
    from generator.engine import tagging

    hits = [tagging.tag(c, tagger, top=1)[0][0] == w for c, w in zip(clips, wanted, strict=True)]
    return round(float(np.mean(hits)), 4) if hits else float("nan")


def white_noise(length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return audio.loudness_normalise(rng.standard_normal(length).astype(np.float32))


def vocoder_roundtrip(samples: np.ndarray, seed: int = 0) -> np.ndarray:
    """audio -> log-mel -> Griffin-Lim audio: the honest reconstruction."""
    from generator.engine import vocoder

    gen = torch.Generator().manual_seed(seed)
    mel = audio.log_mel(torch.from_numpy(np.asarray(samples, dtype=np.float32)))
    return vocoder.log_mel_to_audio(mel, len(samples), generator=gen)[0].numpy()


def vocoder_metrics(samples: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Spectral convergence, log-spectral distance (dB) and MR-STFT distance of the round trip."""
    rebuilt = vocoder_roundtrip(samples, seed)
    ref = audio.stft(torch.from_numpy(np.asarray(samples, dtype=np.float32))).abs()
    out = audio.stft(torch.from_numpy(rebuilt)).abs()
    frames = min(ref.shape[-1], out.shape[-1])
    ref, out = ref[..., :frames], out[..., :frames]
    sc = float((out - ref).norm() / ref.norm().clamp_min(1e-12))
    # An 80 dB range below the loudest bin: the empty band above a 22,050 Hz source's Nyquist
    # (most of the shared recordings) would otherwise dominate the figure at 44.1 kHz.
    floor = float(ref.square().max()) * 1e-8 + 1e-20
    ref_db = 10 * torch.log10(ref.square().clamp_min(floor))
    out_db = 10 * torch.log10(out.square().clamp_min(floor))
    lsd = float(((ref_db - out_db) ** 2).mean(dim=0).sqrt().mean())
    from generator.engine import vocoder

    mrstft = vocoder.multi_resolution_stft_distance(rebuilt, samples)
    return {
        "spectral_convergence": round(sc, 4),
        "log_spectral_distance_db": round(lsd, 3),
        "multi_resolution_stft": round(mrstft, 4),
    }


def embeddings(clips: Sequence[np.ndarray], tagger: Any = None) -> np.ndarray:
    """Stack window embeddings of many clips: float[N_windows, D] (our tagger's, or aiSFX's)."""
    from generator.engine import checkpoints, tagging

    if isinstance(tagger, checkpoints.Checkpoint) and tagger.arch == "aisfx":
        return np.concatenate([aisfx_embeddings(c, tagger) for c in clips], axis=0)
    return np.concatenate([tagging.window_embeddings(c, tagger) for c in clips], axis=0)


def distribution_distances(
    generated: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    tagger: Any = None,
    ref_emb: np.ndarray | None = None,
    floor: dict[str, float] | None = None,
) -> dict[str, float]:
    """Fréchet and kernel distances of generated vs reference audio, with the real-vs-real floor.

    The floor splits the reference clips into two halves (alternate clips) and
    measures them against each other: a generator cannot be expected to beat it.
    """
    gen_emb = embeddings(generated, tagger)
    ref_emb = embeddings(reference, tagger) if ref_emb is None else ref_emb
    result = {
        "frechet": round(frechet_distance(gen_emb, ref_emb), 4),
        "kernel": round(kernel_distance(gen_emb, ref_emb), 5),
    }
    if floor is not None:
        result.update(floor)
    elif len(reference) >= 2:
        half_a = embeddings(reference[0::2], tagger)
        half_b = embeddings(reference[1::2], tagger)
        if len(half_a) >= 2 and len(half_b) >= 2:
            result["frechet_floor_real_vs_real"] = round(frechet_distance(half_a, half_b), 4)
            result["kernel_floor_real_vs_real"] = round(kernel_distance(half_a, half_b), 5)
    return result


def real_floor(reference: Sequence[np.ndarray], tagger: Any = None) -> dict[str, float]:
    """Distances between two halves of the reference set (alternate clips): the best to hope for."""
    half_a = embeddings(reference[0::2], tagger)
    half_b = embeddings(reference[1::2], tagger)
    return {
        "frechet_floor_real_vs_real": round(frechet_distance(half_a, half_b), 4),
        "kernel_floor_real_vs_real": round(kernel_distance(half_a, half_b), 5),
    }


def novelty(
    generated: Sequence[np.ndarray],
    train_embeddings: np.ndarray,
    heldout: Sequence[np.ndarray] | None = None,
    tagger: Any = None,
    copy_ratio: float = 0.25,
) -> dict[str, Any]:
    """Nearest-training-window distances; near-copies are windows far closer than held-out music.

    The threshold is ``copy_ratio`` times the median nearest-training distance
    of held-out real windows (music we know is not a copy); without held-out
    audio it is copy_ratio times the generated windows' own median.
    """
    train = torch.from_numpy(np.asarray(train_embeddings, dtype=np.float32))

    def nearest(emb: np.ndarray) -> np.ndarray:
        return (
            torch.cdist(torch.from_numpy(emb.astype(np.float32)), train).min(dim=1).values.numpy()
        )

    gen_d = nearest(embeddings(generated, tagger))
    ref_median = (
        float(np.median(nearest(embeddings(heldout, tagger))))
        if heldout
        else float(np.median(gen_d))
    )
    threshold = copy_ratio * ref_median
    flagged = int((gen_d < threshold).sum())
    return {
        "nearest_train_distance_median": round(float(np.median(gen_d)), 4),
        "heldout_nearest_train_distance_median": round(ref_median, 4),
        "copy_threshold": round(threshold, 4),
        "windows": int(len(gen_d)),
        "near_copy_windows": flagged,
        "near_copy_fraction": round(flagged / max(len(gen_d), 1), 4),
        "flagged": flagged > 0.1 * len(gen_d),
    }


def source_agreement(
    generated: Sequence[np.ndarray], sources: Sequence[np.ndarray]
) -> dict[str, float]:
    """Chroma and pitch-class similarity of each output to its own source, vs unrelated pairs."""
    if len(generated) != len(sources) or not generated:
        raise ValueError("source_agreement needs one source per generated clip.")
    chroma = [chroma_similarity(g, s) for g, s in zip(generated, sources, strict=True)]
    pcs = [pitch_class_similarity(g, s) for g, s in zip(generated, sources, strict=True)]
    result = {
        "chroma_similarity": round(float(np.mean(chroma)), 4),
        "pitch_class_similarity": round(float(np.mean(pcs)), 4),
    }
    if len(sources) >= 2:
        # Chance: each output against the other clips' sources.
        n = len(sources)
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        result["chroma_similarity_chance"] = round(
            float(np.mean([chroma_similarity(generated[i], sources[j]) for i, j in pairs])), 4
        )
        result["pitch_class_similarity_chance"] = round(
            float(np.mean([pitch_class_similarity(generated[i], sources[j]) for i, j in pairs])), 4
        )
    return result


BASELINES = ("honest_reconstruction", "shuffled_0.25s", "shuffled_beats", "white_noise", "silence")


def _baseline_clips(name: str, reference: Sequence[np.ndarray], seed: int) -> list[np.ndarray]:
    """The degenerate (or honest) stand-ins for generated audio, one per reference clip."""
    if name == "honest_reconstruction":
        return [vocoder_roundtrip(r, seed) for r in reference]
    if name == "shuffled_0.25s":
        return [shuffle_chunks(r, seed + i) for i, r in enumerate(reference)]
    if name == "shuffled_beats":
        return [shuffle_beats(r, seed + i) for i, r in enumerate(reference)]
    if name == "white_noise":
        return [white_noise(len(r), seed + i) for i, r in enumerate(reference)]
    return [np.zeros(len(r), dtype=np.float32) for r in reference]


def baselines(reference: Sequence[np.ndarray], tagger: Any = None, seed: int = 0) -> dict[str, Any]:
    """Score silence, white noise, chunk-shuffled copies and honest reconstructions alike."""
    candidates = {name: _baseline_clips(name, reference, seed) for name in BASELINES}
    out: dict[str, Any] = {}
    ref_emb = embeddings(reference, tagger)
    floor = real_floor(reference, tagger)
    for name, clips in candidates.items():
        scores = distribution_distances(clips, reference, tagger, ref_emb, floor)
        scores.update(source_agreement(clips, reference) if len(reference) >= 1 else {})
        out[name] = scores
    return out


def reference_clips(
    paths: Sequence[str], seconds: float, limit: int | None = None
) -> tuple[list[np.ndarray], list[str]]:
    """Cut one clip of ``seconds`` from the middle of each piece (music only), up to ``limit``.

    Paths may be corpus directories (their validation pieces: held-out music),
    folders of audio files, or files.
    """
    from generator.engine import music_data

    pieces = []
    for p in paths:
        for split in ("validation", "train"):
            found = music_data.entries([p], split)  # music rows only
            if found:
                pieces += found
                break
    clips, names = [], []
    length = int(seconds * audio.SAMPLE_RATE)
    for piece in pieces[: limit or None]:
        samples = audio.load(piece.path)
        if len(samples) > length:
            start = (len(samples) - length) // 2
            samples = samples[start : start + length]
        if audio.is_silent(samples) or len(samples) < audio.SAMPLE_RATE:
            continue
        clips.append(samples)
        names.append(piece.piece)
    return clips, names


def train_embeddings(
    corpus_paths: Sequence[str], tagger: Any = None, per_piece: int = 24
) -> np.ndarray:
    """Window embeddings of training pieces (evenly spaced, ``per_piece`` each) for novelty."""
    from generator.engine import tagging, training

    embs = []
    for piece in training._pieces_from(corpus_paths, "train"):
        samples = audio.load(piece.path)
        ckpt = tagging.resolve(tagger)
        wins = tagging.windows(samples, ckpt, max_windows=per_piece)
        with torch.inference_mode():
            embs.append(ckpt.model.embed(wins).numpy())
    return np.concatenate(embs, axis=0)


def report(
    reference: Sequence[np.ndarray],
    *,
    generated: dict[str, list[np.ndarray]] | None = None,
    sources: dict[str, list[np.ndarray]] | None = None,
    train_emb: np.ndarray | None = None,
    tagger: Any = None,
    aisfx: Any = None,
    seed: int = 0,
) -> dict[str, Any]:
    """The whole evaluation as a JSON-ready dict: per set of generated clips, plus baselines.

    With ``aisfx`` (a converted aiSFX checkpoint) every set also gets
    ``frechet_aisfx`` / ``kernel_aisfx`` and their floor, from an embedding
    trained on other data than ours.
    """
    out: dict[str, Any] = {"reference_clips": len(reference)}
    out["baselines"] = baselines(reference, tagger, seed)
    if aisfx is not None:
        ref_a = embeddings(reference, aisfx)
        floor_a = {f"{k}_aisfx": v for k, v in real_floor(reference, aisfx).items()}
        sets = dict(generated or {})
        for name, scores in out["baselines"].items():
            clips = _baseline_clips(name, reference, seed)
            extra = distribution_distances(clips, reference, aisfx, ref_a, {})
            scores.update({f"{k}_aisfx": v for k, v in extra.items()} | floor_a)
        for name, clips in sets.items():
            extra = distribution_distances(clips, reference, aisfx, ref_a, {})
            out.setdefault("aisfx", {})[name] = {f"{k}_aisfx": v for k, v in extra.items()}
            out["aisfx"][name].update(floor_a)
    voc = [vocoder_metrics(r, seed) for r in reference]
    out["vocoder"] = {k: round(float(np.mean([v[k] for v in voc])), 4) for k in voc[0]}
    ref_emb = embeddings(reference, tagger)
    floor = real_floor(reference, tagger)
    for name, clips in (generated or {}).items():
        entry: dict[str, Any] = distribution_distances(clips, reference, tagger, ref_emb, floor)
        if sources and name in sources:
            entry.update(source_agreement(clips, sources[name]))
        if train_emb is not None:
            entry["novelty"] = novelty(clips, train_emb, reference, tagger)
        shuffled = out["baselines"]["shuffled_0.25s"]["frechet"]
        entry["beats_shuffle_baseline"] = entry["frechet"] < shuffled
        for base in ("shuffled_0.25s", "shuffled_beats"):
            entry[f"kad_beats_{base}"] = entry["kernel"] < out["baselines"][base]["kernel"]
        entry["rhythm"] = rhythm_summary(clips)
        out[name] = entry
    out["real_rhythm"] = rhythm_summary(reference)
    return out


AISFX_DIR = Path(__file__).resolve().parents[2] / "var" / "aisfx"


def convert_aisfx(out_dir: str | Path = AISFX_DIR) -> Path:
    """Convert aiSFX's shipped pickle to a verified safetensors checkpoint, once.

    This is the one place a pickle is read, from the installed aisfx wheel
    (``pip install --no-deps aisfx``), on an explicit request; the result is
    loaded like every other checkpoint, with no pickle.
    """
    import importlib.util

    from generator.engine import checkpoints

    spec = importlib.util.find_spec("aisfx")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("aisfx is not installed (pip install --no-deps aisfx).")
    source = Path(spec.origin).parent / "models" / "checkpoint.pth"
    weights, _ = torch.load(source, map_location="cpu", weights_only=False)
    state = {
        k[len("embedding_net.") :]: v for k, v in weights.items() if k.startswith("embedding_net.")
    }
    model = checkpoints.build("aisfx", {"hl1": 64})
    model.load_state_dict(state, strict=True)
    provenance = {
        "source": "aisfx 0.1.2 wheel, models/checkpoint.pth (X-Sequential-CE embedding net)",
        "licence": "CC BY 4.0",
        "paper": "Ma and Lerch, Representation Learning for the Automatic Indexing of Sound "
        "Effects Libraries, ISMIR 2022",
        "source_sha256": checkpoints.sha256_file(source),
    }
    return checkpoints.save(
        model, out_dir, arch="aisfx", hparams={"hl1": 64}, provenance=provenance
    )


@lru_cache(maxsize=1)
def _aisfx_mel() -> torch.Tensor:
    import librosa

    from generator.engine.nets import aisfx

    fb = librosa.filters.mel(
        sr=aisfx.SAMPLE_RATE, n_fft=aisfx.N_FFT, n_mels=aisfx.N_MELS, htk=True, norm=1.0
    )
    return torch.from_numpy(fb.astype(np.float32))


@torch.inference_mode()
def aisfx_embeddings(samples: np.ndarray, model: Any) -> np.ndarray:
    """aiSFX window embeddings float[N, 512] of audio float32[T] at 22,050 Hz (blocks of 2.3 s)."""
    from generator.engine.nets import aisfx

    x = torch.from_numpy(
        audio.resample(np.asarray(samples, np.float32), audio.SAMPLE_RATE, aisfx.SAMPLE_RATE)
    )
    x = x / x.abs().max().clamp_min(1e-8)
    window = torch.hann_window(aisfx.N_FFT)
    power = torch.stft(x, aisfx.N_FFT, aisfx.HOP, window=window, return_complex=True).abs() ** 2
    spec = torch.log10(_aisfx_mel() @ power * 10_000 + 1).T / aisfx.SPEC_MAX  # [frames, 96]
    if spec.shape[0] < aisfx.BLOCK:
        spec = spec.repeat(-(-aisfx.BLOCK // spec.shape[0]), 1)
    starts = range(0, spec.shape[0] - aisfx.BLOCK + 1, aisfx.BLOCK // 2)
    blocks = torch.stack([spec[s : s + aisfx.BLOCK] for s in starts])
    return model.model(blocks).numpy()
