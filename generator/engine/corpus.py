"""Build the training corpus from sources we may use, and read it back.

Sources:
- ``shared``: the real recordings in ../shared/data/audio (librosa's example
  data; see its ATTRIBUTION.md), written as 44.1 kHz FLAC. The robin and the
  speech are "not music": the tagger learns them as a negative class, the
  U-Net never sees them.
- ``debian``: Debian's game-music packages (``corpus_debian.PACKAGES``), about
  30 hours, fetched with apt-get and kept as shipped (Vorbis, Opus) under
  ``OUT/packages``; each file's licence is read from its package's copyright file.
- ``renders``: music21's public-domain scores rendered with FluidSynth
  (``corpus_renders``): chorales, folk tunes over drums, piano, choir.

``OUT/manifest.jsonl`` has a row per file: piece, source, package, path,
where Debian installs it, duration, sample rate, channels, licence and its
family, style label, split, content hash, and a status. Rows that are not
training data say why: ``corrupt`` (does not decode; the build goes on),
``short`` (a package file under ``MIN_SECONDS``: a jingle or an effect),
``duplicate`` (the same bytes, or the same audio re-encoded, as a kept row).
``OUT/corpus.json`` holds the build's settings and its hours per style,
licence family and split.

The split is by piece, never by window: each piece's group name (the package
and the file name without variant suffixes such as ``_fast`` or ``_loop``) is
hashed, so a piece lands in the same split on every machine and at every
build, and variants of a tune cannot straddle the split.

Building is resumable: decoding results go to ``OUT/cache`` as they are
made, so a second run skips finished files; the manifest is replaced only
when a build succeeds. No Django imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import soundfile as sf

from generator.engine import corpus_audio, corpus_debian, corpus_renders
from generator.engine.contract import Progress
from generator.engine.corpus_debian import FAMILIES, FAMILY_NAMES, CorpusError, Package

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
MANIFEST = "manifest.jsonl"
META = "corpus.json"
PACKAGE_DIR = "packages"
ANALYSIS = "cache/analysis.jsonl"
RENDERS = "cache/renders.jsonl"
FINGERPRINTS = "cache/fingerprints"
SHARED_AUDIO = Path(__file__).resolve().parents[3] / "shared" / "data" / "audio"
SOURCES = ("shared", "debian", "renders")
MIN_SECONDS = 20.0
SPLITS = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
STYLES = (
    "orchestral",
    "electronic",
    "ambient",
    "rock_pop",
    "chiptune",
    "folk_world",
    "piano",
    "chorale",
    "jazz",
    "not_music",
)
TAGS = STYLES
SILENCE_RMS = 1e-4

# The shared recordings we use, with what we know of them: (style, licence,
# split, music). The 44.1 kHz stereo copy of "Vibe Ace" is the same piece and
# is left out so it cannot leak across the split.
SHARED = {
    "brahms_hungarian_dance_5.ogg": ("orchestral", "public-domain", "validation", True),
    "macleod_vibe_ace.ogg": ("jazz", "CC-BY-3.0", "train", True),
    "sorohanro_solo_trumpet.ogg": ("jazz", "CC-BY-3.0", "validation", True),
    "librispeech_198-209-0000.ogg": ("not_music", "CC-BY-4.0", "train", False),
    "inspectorj_robin.ogg": ("not_music", "CC-BY-3.0", "validation", False),
}

_VARIANT = re.compile(
    r"[-_ .]*(fast|slow|loop|looped|intro|outro|short|long|remix|remake|enhanced|alt|edit|"
    r"full|part|old|new|v\d+)$"
)


@dataclass(frozen=True)
class Piece:
    """One file of the corpus and what we know about it (a manifest row)."""

    piece: str
    source: str
    licence: str
    path: str  # relative to the corpus directory in the manifest; absolute once read
    seconds: float
    split: str  # "train", "validation" or "test"; "" when not training data
    labels: dict[str, Any] = field(default_factory=dict)
    package: str = ""
    installed: str = ""  # where Debian installs it ("archive:member" inside an archive)
    sample_rate: int = 0
    channels: int = 0
    licence_family: str = ""
    licence_files: str = ""  # the copyright file's Files: globs that gave the licence
    style: str = ""
    sha256: str = ""
    group: str = ""  # what the split hashes: variants of one piece share it
    status: str = "ok"
    note: str = ""


# -- splits and groups --------------------------------------------------------


def group_of(prefix: str, path: str) -> str:
    """A piece's group: prefix/stem without variant suffixes (``Lava_fast`` -> ``lava``)."""
    stem = PurePosixPath(path).stem.lower()
    while True:
        shorter = _VARIANT.sub("", stem)
        if shorter == stem or not shorter:
            break
        stem = shorter
    return f"{prefix}/{stem}"


def split_of(group: str) -> str:
    """The split of a group, from the sha256 of its name: 80 % train, 10 % each other."""
    u = int(hashlib.sha256(group.encode()).hexdigest()[:12], 16) / 16**12
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if u < edge:
            return name
    return SPLITS[-1][0]


# -- licences -------------------------------------------------------------------


def licence_summary(pieces: Iterable[Piece | dict[str, Any]]) -> dict[str, Any]:
    """Summarise the licences training data carried, for a model's config and credits.

    Takes manifest rows (Pieces or dicts with licence, licence_family,
    seconds and source/package); returns hours and files per family and per
    licence statement, and the licences of each package or source.
    """
    families: dict[str, dict[str, float]] = {}
    statements: dict[str, dict[str, float]] = {}
    origins: dict[str, set[str]] = defaultdict(set)
    for p in pieces:
        row = asdict(p) if isinstance(p, Piece) else dict(p)
        statement = str(row.get("licence") or "unknown")
        family = row.get("licence_family") or corpus_debian.family_of(statement)
        hours = float(row.get("seconds") or 0.0) / 3600
        for table, key in ((families, family), (statements, statement)):
            entry = table.setdefault(key, {"files": 0, "hours": 0.0})
            entry["files"] += 1
            entry["hours"] += hours
        origins[str(row.get("package") or row.get("source") or "?")].add(statement)
    rounded = {k: {"files": v["files"], "hours": round(v["hours"], 3)} for k, v in families.items()}
    return {
        "families": {f: rounded[f] for f in FAMILIES if f in rounded},
        "family_names": {f: FAMILY_NAMES[f] for f in FAMILIES if f in rounded},
        "licences": {
            k: {"files": v["files"], "hours": round(v["hours"], 3)}
            for k, v in sorted(statements.items())
        },
        "sources": {k: sorted(v) for k, v in sorted(origins.items())},
    }


def hours_by(pieces: Iterable[Piece], key: Callable[[Piece], str]) -> dict[str, float]:
    """Hours of audio per value of key, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for p in pieces:
        totals[key(p)] += p.seconds / 3600
    return {k: round(v, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def summary(pieces: Sequence[Piece]) -> dict[str, Any]:
    """Hours per style, licence family, split and source of the rows that are training data."""
    ok = [p for p in pieces if p.status == "ok"]
    return {
        "files": len(ok),
        "hours": round(sum(p.seconds for p in ok) / 3600, 3),
        "by_style": hours_by(ok, lambda p: p.style),
        "by_family": hours_by(ok, lambda p: FAMILY_NAMES.get(p.licence_family, "other")),
        "by_split": hours_by(ok, lambda p: p.split),
        "by_source": hours_by(ok, lambda p: p.package or p.source),
        "not_used": {
            status: sum(1 for p in pieces if p.status == status)
            for status in ("duplicate", "short", "corrupt")
        },
    }


# -- the resumable cache ----------------------------------------------------------


class Cache:
    """Decoding results and renders of earlier runs, appended as they are made."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.analysis = _read_jsonl(out / ANALYSIS)
        self.renders = {
            r["rel"]: corpus_renders.Render(**r) for r in _read_jsonl(out / RENDERS).values()
        }

    @staticmethod
    def key(path: Path) -> str:
        st = path.stat()
        return f"{path}|{st.st_size}|{st.st_mtime_ns}"

    def probe(self, path: Path) -> dict[str, Any]:
        """Decode a file once per content: duration, rate, channels, hashes, or its error."""
        key = self.key(path)
        if key in self.analysis:
            return self.analysis[key]
        try:
            found = corpus_audio.probe(path)
        except corpus_audio.CorruptAudio as exc:
            row: dict[str, Any] = {"key": key, "error": str(exc)}
        else:
            fp = self.out / FINGERPRINTS / f"{found.sha256}.npy"
            fp.parent.mkdir(parents=True, exist_ok=True)
            np.save(fp, found.fingerprint)
            row = {
                "key": key,
                "seconds": found.seconds,
                "sample_rate": found.sample_rate,
                "channels": found.channels,
                "format": found.format,
                "sha256": found.sha256,
            }
        _append_jsonl(self.out / ANALYSIS, row)
        self.analysis[key] = row
        return row

    def fingerprint(self, sha256: str) -> np.ndarray:
        return np.load(self.out / FINGERPRINTS / f"{sha256}.npy")

    def add_render(self, render: corpus_renders.Render) -> None:
        _append_jsonl(self.out / RENDERS, {"key": render.rel, **asdict(render)})
        self.renders[render.rel] = render


def _read_jsonl(path: Path) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by an interrupted run
                continue
            rows[row.pop("key")] = row
    return rows


def _append_jsonl(path: Path, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")
        f.flush()


# -- candidates per source ---------------------------------------------------------


def _shared(out: Path, max_seconds: float | None, limit: int | None) -> list[Piece]:
    if not SHARED_AUDIO.is_dir():
        log.warning("shared recordings not found at %s: skipped", SHARED_AUDIO)
        return []
    pieces = []
    for name, (style, licence, split, music) in list(SHARED.items())[: limit or None]:
        path = SHARED_AUDIO / name
        if not path.exists():
            log.warning("shared recording %s missing: skipped", name)
            continue
        stem = Path(name).stem
        rel = f"audio/shared/{stem}.flac"
        if not (out / rel).exists():
            samples = corpus_audio.decode_stereo(path)
            if max_seconds is not None:
                samples = samples[: int(max_seconds * corpus_audio.SAMPLE_RATE)]
            corpus_audio.write_flac(out / rel, samples)
        pieces.append(
            Piece(
                f"shared/{stem}",
                "shared",
                licence,
                rel,
                0.0,
                split,
                {"tag": style, "style": style, "music": music},
                installed=f"../shared/data/audio/{name}",
                style=style,
                group=f"shared/{stem}",
            )
        )
    return pieces


def _package_pieces(pkg: Package, root: Path, out: Path, limit: int | None) -> list[Piece]:
    copyright_file = corpus_debian.copyright_of(pkg, root)
    files = corpus_debian.music_files(pkg, root)[: limit or None]
    if not files:
        log.warning("%s: no music files found under %s", pkg.name, root)
        return []
    common = os.path.commonpath([str(PurePosixPath(f.overlay).parent) for f in files])
    pieces = []
    for f in files:
        licence = copyright_file.licence(f.overlay)
        local = str(PurePosixPath(f.overlay).relative_to(common).with_suffix(""))
        style = pkg.style_of(f.overlay)
        pieces.append(
            Piece(
                f"{pkg.name}/{local}",
                "debian",
                licence.statement,
                f.path.relative_to(out).as_posix(),
                0.0,
                "",
                {"tag": style, "style": style, "music": True},
                package=pkg.name,
                installed=f.installed,
                licence_family=licence.family,
                licence_files=licence.files,
                style=style,
                group=group_of(pkg.name, f.overlay),
            )
        )
    return pieces


def _renders(
    out: Path,
    cache: Cache,
    sets: Sequence[str],
    limit: int | None,
    max_seconds: float | None,
    seed: int,
    progress: Progress | None,
) -> list[Piece]:
    missing = corpus_renders.available()
    if missing:
        log.warning("renders skipped: %s is missing", missing)
        return []

    def write(rel: str, samples: np.ndarray) -> bool:
        if max_seconds is not None:
            samples = samples[: int(max_seconds * corpus_audio.SAMPLE_RATE)]
        if not len(samples) or float(np.sqrt(np.mean(samples**2))) < SILENCE_RMS:
            return False
        corpus_audio.write_flac(out / rel, samples)
        return True

    pieces = []
    for i, kind in enumerate(sets):
        if progress:
            progress(f"rendering {kind}", i / len(sets))
        # A render whose file was deleted is rendered again.
        done = {rel: r for rel, r in cache.renders.items() if (out / rel).exists()}
        for r in corpus_renders.render(kind, limit, seed, write, done):
            if r.rel not in done:
                cache.add_render(r)
            labels = {"tag": r.style, "style": r.style, "music": True, **r.labels}
            pieces.append(
                Piece(
                    f"renders/{r.piece}",
                    f"music21-{r.set}",
                    corpus_renders.LICENCE,
                    r.rel,
                    0.0,
                    "",
                    labels,
                    style=r.style,
                    group=f"renders/{r.piece}",
                )
            )
    return pieces


# -- analysis, dedupe, filter, split -------------------------------------------------


def _analyse(
    pieces: list[Piece], out: Path, cache: Cache, progress: Progress | None
) -> list[Piece]:
    rows = []
    for i, p in enumerate(pieces):
        found = cache.probe(out / p.path)
        if progress and i % 10 == 0:
            progress("decoding", i / max(len(pieces), 1))
        if "error" in found:
            log.warning("%s: does not decode, skipped (%s)", p.path, found["error"])
            rows.append(replace(p, status="corrupt", note=found["error"]))
            continue
        row = replace(
            p,
            seconds=found["seconds"],
            sample_rate=found["sample_rate"],
            channels=found["channels"],
            sha256=found["sha256"],
        )
        if p.source == "debian" and row.seconds < MIN_SECONDS:
            row = replace(
                row, status="short", note=f"under {MIN_SECONDS:.0f} s: a jingle or effect"
            )
        rows.append(row)
    return rows


def _dedupe(rows: list[Piece], cache: Cache) -> list[Piece]:
    """Mark copies: the same bytes, or the same audio re-encoded, as a row kept earlier.

    The kept copy is the freest licence, then the most channels and highest
    rate, then source order: so a re-encode never displaces its better original.
    """

    def preference(p: Piece) -> tuple:
        return (
            FAMILIES.index(p.licence_family),
            -(p.channels * p.sample_rate),
            _source_rank(p),
            p.piece,
        )

    kept_by_hash: dict[str, Piece] = {}
    kept: list[Piece] = []
    out: dict[str, Piece] = {}
    for p in sorted((r for r in rows if r.status == "ok"), key=preference):
        first = kept_by_hash.get(p.sha256)
        if first is not None:
            out[p.path] = replace(p, status="duplicate", note=f"same bytes as {first.piece}")
            continue
        fp = cache.fingerprint(p.sha256)
        tolerance = max(1.0, 0.01 * p.seconds)
        twin = next(
            (
                k
                for k in kept
                if abs(k.seconds - p.seconds) <= tolerance
                and corpus_audio.similarity(cache.fingerprint(k.sha256), fp)
                >= corpus_audio.SAME_AUDIO
            ),
            None,
        )
        if twin is not None:
            out[p.path] = replace(p, status="duplicate", note=f"same audio as {twin.piece}")
            continue
        kept_by_hash[p.sha256] = p
        kept.append(p)
        out[p.path] = p
    return [out.get(r.path, r) for r in rows]


def _split(rows: list[Piece]) -> list[Piece]:
    result = []
    for p in rows:
        if p.status != "ok":
            result.append(replace(p, split=""))
        elif p.source == "shared":
            result.append(p)  # fixed above: the five shared recordings are the team's demo set
        else:
            result.append(replace(p, split=split_of(p.group)))
    return result


# -- build and read ---------------------------------------------------------------


def build(
    out_dir: str | Path,
    *,
    sources: Sequence[str] = SOURCES,
    packages: Sequence[str] = corpus_debian.DEFAULT_PACKAGES,
    render_sets: Sequence[str] = corpus_renders.SETS,
    licences: Sequence[str] | None = None,
    limit: int | None = None,
    max_seconds: float | None = None,
    seed: int = 0,
    offline: bool = False,
    table: dict[str, Package] | None = None,
    progress: Progress | None = None,
) -> list[Piece]:
    """Build the corpus in out_dir; returns every manifest row (``status`` says which train).

    ``licences`` keeps only files whose licence family is listed (see
    ``corpus_debian.FAMILIES``); a filter that leaves nothing is a CorpusError.
    ``limit`` caps the files per package and renders per set, and
    ``max_seconds`` the length of shared recordings and renders, so a test can
    build a tiny corpus in seconds. Every check that can fail on the inputs
    runs before the manifest is touched: a failed build leaves the previous
    manifest as it was.
    """
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise CorpusError(f"Unknown sources {', '.join(unknown)}; known: {', '.join(SOURCES)}.")
    bad_sets = sorted(set(render_sets) - set(corpus_renders.SETS))
    if bad_sets:
        raise CorpusError(
            f"Unknown render sets {', '.join(bad_sets)}; known: {', '.join(corpus_renders.SETS)}."
        )
    families = tuple(licences) if licences is not None else FAMILIES
    bad_families = sorted(set(families) - set(FAMILIES))
    if bad_families:
        raise CorpusError(f"Unknown licence families: {', '.join(bad_families)}.")
    table = corpus_debian.PACKAGES if table is None else table
    out = Path(out_dir)
    roots: dict[str, Path] = {}
    if "debian" in sources and packages:
        roots = corpus_debian.fetch(
            packages, out / PACKAGE_DIR, table=table, offline=offline, progress=progress
        )
        for name, root in roots.items():
            corpus_debian.copyright_of(table[name], root)
    out.mkdir(parents=True, exist_ok=True)
    cache = Cache(out)
    pieces: list[Piece] = []
    if "shared" in sources:
        pieces += _shared(out, max_seconds, limit)
    for name, root in roots.items():
        pieces += _package_pieces(table[name], root, out, limit)
    if "renders" in sources and render_sets:
        pieces += _renders(out, cache, render_sets, limit, max_seconds, seed, progress)
    pieces = [
        replace(p, licence_family=p.licence_family or corpus_debian.family_of(p.licence))
        for p in pieces
    ]
    # Filter before decoding: a file left out costs nothing but a header read.
    allowed = [p for p in pieces if p.licence_family in families]
    excluded = [
        replace(p, seconds=_header_seconds(out / p.path))
        for p in pieces
        if p.licence_family not in families
    ]
    rows = _analyse(allowed, out, cache, progress)
    if licences is not None and pieces and not any(r.status == "ok" for r in rows):
        present = hours_by(excluded, lambda p: p.licence_family)
        raise CorpusError(
            f"No file's licence is in {', '.join(families)}: the corpus would be empty. "
            f"Families present (hours): {present or 'none'}. The previous manifest is unchanged."
        )
    rows = _split(_dedupe(rows, cache))
    _write_manifest(out, rows)
    meta = {
        "format_version": FORMAT_VERSION,
        "seed": seed,
        "sources": list(sources),
        "packages": {n: _package_version(r) for n, r in roots.items()},
        "licence_filter": list(families),
        "excluded_by_licence": hours_by(excluded, lambda p: p.licence_family),
        "split": "by piece group: sha256 of the group name, 80 % train, 10 % validation, 10 % test",
        "styles": list(STYLES),
        "summary": summary(rows),
        "licences": licence_summary(r for r in rows if r.status == "ok"),
    }
    _atomic_write(out / META, json.dumps(meta, indent=2) + "\n")
    log.info("corpus of %d files (%.1f h) in %s", len(rows), meta["summary"]["hours"], out)
    return rows


def _header_seconds(path: Path) -> float:
    try:
        return float(sf.info(str(path)).duration)
    except (sf.LibsndfileError, RuntimeError):
        return 0.0


def _package_version(root: Path) -> str:
    try:
        return json.loads((root / corpus_debian.FETCHED).read_text()).get("version", "")
    except (OSError, json.JSONDecodeError):
        return ""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text)
    tmp.replace(path)


def _source_rank(p: Piece) -> int:
    return {"shared": 0, "debian": 1}.get(p.source, 2)


def _write_manifest(out: Path, rows: list[Piece]) -> None:
    rows = sorted(rows, key=lambda p: (_source_rank(p), p.piece))
    _atomic_write(out / MANIFEST, "".join(json.dumps(asdict(r)) + "\n" for r in rows))


def read(corpus_dir: str | Path, *, all_rows: bool = False) -> list[Piece]:
    """Read a corpus manifest: the training rows (all rows if asked), paths made absolute."""
    root = Path(corpus_dir)
    names = {f.name for f in fields(Piece)}
    pieces = []
    for line in (root / MANIFEST).read_text().splitlines():
        if not line.strip():
            continue
        row = {k: v for k, v in json.loads(line).items() if k in names}
        row["path"] = str((root / row["path"]).resolve())
        piece = Piece(**row)
        if all_rows or piece.status == "ok":
            pieces.append(piece)
    return pieces
