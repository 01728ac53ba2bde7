"""Fetch Debian's game-music packages and say which licence each music file carries.

A package is fetched with ``apt-get download`` and only its music and its
copyright file are unpacked (``dpkg-deb --fsys-tarfile``) into
``CACHE/NAME``: installing would pull game engines, fonts and libraries the
corpus has no use for, and 0ad-data alone installs 3.2 GB of which 0.2 GB is
music. Music inside a game's zip archive (``.zip``, ``.pk3``) is unpacked into
a folder named like the archive. A package is unpacked into a temporary folder
and renamed into place when complete, so the cache never holds half a package.

Which files are music is said per package by globs on installed paths
(``PACKAGES``); a member of an archive is matched as if the archive's contents
lay in the archive's folder, as the games load them. Sound effects, voices and
ambience live elsewhere in these packages and are never unpacked.

Licences come from the package's copyright file. In the machine-readable
(DEP-5) format each ``Files:`` paragraph lists globs on the upstream source
tree, which Debian installs under another prefix, so a glob matches when it
matches a tail of the installed path, or when a tail of the glob that still
names a folder does (``data/audio/music/*`` becomes ``audio/music/*``); as
DEP-5 says, the last matching paragraph wins. A copyright file that is not
machine-readable is summarised in the table, quoting what it states.
No Django imports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path, PurePosixPath

FETCHED = ".fetched.json"
DEBS = ".debs"
AUDIO_SUFFIXES = {".ogg", ".oga", ".opus", ".flac", ".wav", ".mp3"}
_AUDIO_MAGIC = (b"OggS", b"fLaC", b"RIFF", b"ID3")


class CorpusError(ValueError):
    """Corpus inputs that cannot work; the message says what to do."""


@dataclass(frozen=True)
class Package:
    """Where a Debian package keeps its music, and what kind of music it is."""

    name: str
    music: tuple[str, ...]  # globs on installed paths, without the leading "/"
    style: str
    archives: tuple[str, ...] = ()  # zip archives whose members are matched by ``music``
    styles: tuple[tuple[str, str], ...] = ()  # (glob on the lower-case path, style), first wins
    licence: str = ""  # what a copyright file that is not DEP-5 states for the music
    why: str = ""  # how the style was assigned

    def style_of(self, path: str) -> str:
        """The style label of one file: the first matching override, else the package's."""
        path = path.lower()
        return next((s for glob, s in self.styles if fnmatchcase(path, glob)), self.style)

    def is_music(self, overlay: str) -> bool:
        return any(fnmatchcase(overlay, g) for g in self.music)

    def is_archive(self, path: str) -> bool:
        return any(fnmatchcase(path, g) for g in self.archives)


_G = "usr/share/games"
PACKAGES: dict[str, Package] = {
    p.name: p
    for p in (
        Package(
            "warzone2100-music",
            (f"{_G}/warzone2100/music/*",),
            "electronic",
            why="Warzone 2100's three albums: synthesiser and drum-machine science-fiction scores",
        ),
        Package(
            "ufoai-music",
            (f"{_G}/ufoai/base/music/*",),
            "orchestral",
            archives=(f"{_G}/ufoai/base/0music.pk3",),
            why="UFO: Alien Invasion's cinematic score",
        ),
        Package(
            "0ad-data",
            (f"{_G}/0ad/mods/public/audio/music/*",),
            "orchestral",
            archives=(f"{_G}/0ad/mods/public/public.zip",),
            styles=(
                ("*/0_8bit*", "chiptune"),
                *((f"*/{t}*", "folk_world") for t in ("taiko", "celtic", "tavern", "whistler")),
                *((f"*/{t}*", "folk_world") for t in ("highland", "eastern", "karmic", "beyond")),
            ),
            why="0 A.D.'s score (Omri Lahav): orchestra with period instruments; titles naming "
            "a folk tradition (Taiko, Celtic, Tavern...) are folk/world, the 8-bit bonus chiptune",
        ),
        Package(
            "wesnoth-1.16-music",
            (f"{_G}/wesnoth/1.16/data/core/music/*",),
            "orchestral",
            licence="GPL-2+",
            why="Battle for Wesnoth's orchestral fantasy score",
        ),
        Package(
            "naev-data",
            ("usr/share/naev/dat/snd/music/*",),
            "electronic",
            styles=(
                ("*/ambient*", "ambient"),
                ("*/ambiphonic*", "ambient"),
                ("*/void_sensor*", "ambient"),
            ),
            why="Naev's space-trading score: synthesiser music; files named ambient are ambient",
        ),
        Package(
            "supertux-data",
            (f"{_G}/supertux2/music/*",),
            "electronic",
            styles=(("*/retro/*", "chiptune"), ("*/chipdisko*", "chiptune")),
            why="SuperTux's platformer tunes (synthesised); the retro folder is chiptune",
        ),
        Package(
            "widelands-data",
            (f"{_G}/widelands/data/music/*",),
            "orchestral",
            why="Widelands' settler-game score: orchestral and acoustic",
        ),
        Package(
            "hedgewars-data",
            (f"{_G}/hedgewars/Data/Music/*",),
            "orchestral",
            styles=(
                *((f"*/{t}*", "folk_world") for t in ("oriental", "pirate", "desert", "jungle")),
                *((f"*/{t}*", "rock_pop") for t in ("rock", "city", "freeway", "sdmusic")),
            ),
            why="Hedgewars' map themes: light orchestral; oriental, pirate, desert and jungle "
            "themes folk/world, rock, city and freeway themes rock/pop",
        ),
        Package(
            "nexuiz-music",
            (f"{_G}/nexuiz/data/sound/cdtracks/*",),
            "electronic",
            archives=(f"{_G}/nexuiz/data/music.pk3",),
            licence="GPL-2+",
            why="Nexuiz's arena-shooter soundtrack: techno and industrial",
        ),
        Package(
            "blobwars-data",
            (f"{_G}/blobwars/music/*",),
            "electronic",
            why="Blob Wars: Metal Blob Solid's synthesised action score",
        ),
        Package(
            "supertuxkart-data",
            (f"{_G}/supertuxkart/data/music/*",),
            "rock_pop",
            styles=tuple((f"*/{t}*", "folk_world") for t in ("celtic", "egypt", "hacienda")),
            why="SuperTuxKart's race tracks: pop, rock and electronic songs; named world themes",
        ),
        Package(
            "marsshooter-data",
            (f"{_G}/marsshooter/audio/music/*", f"{_G}/marsshooter/audio/menu.ogg"),
            "electronic",
            why="M.A.R.S.'s space-shooter soundtrack: electronic",
        ),
        Package(
            "freedroidrpg-data",
            ("usr/share/freedroidrpg/data/sound/music/*",),
            "electronic",
            why="FreedroidRPG's soundtrack: electronic and ambient synthesiser pieces",
        ),
        Package(
            "drascula-music",
            ("usr/share/scummvm/drascula/audio/*",),
            "orchestral",
            why="Drascula's adventure-game score (synthesised orchestra)",
        ),
        Package(
            "unknown-horizons",
            ("usr/share/unknown-horizons/content/audio/music/*",),
            "folk_world",
            why="Unknown Horizons' colony-game score: folk and early-music instruments",
        ),
        Package(
            "flare-game",
            (f"{_G}/flare/mods/*/music/*",),
            "orchestral",
            why="Flare's fantasy action-RPG score: orchestral",
        ),
        Package(
            "megaglest-data",
            (f"{_G}/megaglest/data/core/menu/music/*", f"{_G}/megaglest/techs/*/music/*"),
            "orchestral",
            why="MegaGlest's faction themes: epic orchestral",
        ),
        Package(
            "openclonk-data",
            (f"{_G}/openclonk/Music.ocg/*",),
            "electronic",
            licence="CC-BY-3.0 or CC0-1.0",
            why="OpenClonk's soundtrack: electronic and ambient",
        ),
    )
}
DEFAULT_PACKAGES = tuple(PACKAGES)


# -- licences ---------------------------------------------------------------

FAMILIES = ("pd", "bsd", "cc-by", "cc-by-sa", "gpl", "other")  # most permissive first
FAMILY_NAMES = {
    "pd": "PD/CC0",
    "bsd": "BSD/MIT",
    "cc-by": "CC-BY",
    "cc-by-sa": "CC-BY-SA",
    "gpl": "GPL",
    "other": "other",
}
_ALIASES = {"cc0": "pd", "public-domain": "pd", "mit": "bsd", "permissive": "bsd"}


def family_of_term(term: str) -> str:
    """The family of one licence name (``CC-BY-SA-3.0+`` -> ``cc-by-sa``)."""
    t = term.strip().lower().replace(" ", "-")
    if t in ("pd", "cc0") or t.startswith(("cc0", "public-domain", "pd-")):
        return "pd"
    if t.startswith(("cc-by-nc", "cc-by-nd")):
        return "other"
    if t.startswith("cc-by-sa"):
        return "cc-by-sa"
    if t.startswith("cc-by"):
        return "cc-by"
    if t.startswith(("gpl", "lgpl", "agpl")):
        return "gpl"
    permissive = ("bsd", "mit", "expat", "isc", "zlib", "apache", "wtfpl", "x11", "bsl", "boost")
    if t.startswith(permissive):
        return "bsd"
    return "other"


def family_of(statement: str) -> str:
    """A licence expression's family: the freest alternative of ``or``, the strictest of ``and``.

    ``GPL-3 or CC-BY-3.0`` lets us choose CC-BY; ``PD score + MIT soundfont``
    carries both, so MIT's attribution applies.
    """
    rank = FAMILIES.index
    options = []
    for alternative in re.split(r"\s+or\s+|\s*\|\s*", statement, flags=re.I):
        terms = [t for t in re.split(r"\s+and\s+|\s*[+&,]\s*", alternative, flags=re.I) if t]
        families = [family_of_term(t.split()[0] if t.split() else t) for t in terms]
        if families:
            options.append(max(families, key=rank))
    return min(options, key=rank) if options else "other"


def parse_families(text: str) -> tuple[str, ...]:
    """``"pd,cc0,cc-by,bsd"`` -> ``("pd", "cc-by", "bsd")``; unknown names are an error."""
    out: list[str] = []
    for name in (n.strip().lower() for n in text.split(",")):
        if not name:
            continue
        family = _ALIASES.get(name, name)
        if family not in FAMILIES:
            known = ", ".join(sorted({*FAMILIES, *_ALIASES}))
            raise CorpusError(f"Unknown licence family {name!r}; known: {known}.")
        if family not in out:
            out.append(family)
    if not out:
        raise CorpusError("The licence filter names no family.")
    return tuple(out)


@dataclass(frozen=True)
class Licence:
    """A file's licence as its package's copyright file states it."""

    statement: str
    family: str
    files: str  # the Files: glob that matched, or how the statement was found


def _glob_tails(glob: str) -> list[str]:
    """A glob and its tails that still name a folder: ``a/b/*`` -> [``a/b/*``, ``b/*``]."""
    parts = glob.strip().removeprefix("./").strip("/").split("/")
    tails = ["/".join(parts)]
    for i in range(1, len(parts) - 1):
        rest = parts[i:]
        if not any(c in rest[0] for c in "*?"):
            tails.append("/".join(rest))
    return tails


def _glob_re(glob: str) -> re.Pattern[str]:
    from debian.copyright import globs_to_re

    return globs_to_re([glob])


class CopyrightFile:
    """A package's copyright file, answering ``licence(path)`` for installed paths."""

    def __init__(self, text: str, stated: str = "") -> None:
        self.text = text
        self.stated = stated

    @cached_property
    def _paragraphs(self) -> list[tuple[str, list[tuple[str, re.Pattern[str]]]]] | None:
        """(licence synopsis, [(glob, pattern of the glob or of one of its tails)]) in order."""
        from debian.copyright import Copyright, Error

        try:
            parsed = Copyright(self.text.splitlines(), strict=False)
        except Error:
            return None
        out = []
        for para in parsed.all_files_paragraphs():
            if para.license is None:
                continue
            patterns = [(g, _glob_re(t)) for g in para.files for t in _glob_tails(g)]
            out.append((para.license.synopsis.strip(), patterns))
        return out or None

    @property
    def machine_readable(self) -> bool:
        return self._paragraphs is not None

    def licence(self, path: str) -> Licence:
        """The licence of an installed path (``usr/share/games/x/music/a.ogg``)."""
        if self._paragraphs is None:
            statement = self.stated or "unknown (copyright file is not machine-readable)"
            return Licence(statement, family_of(statement), "whole copyright file")
        parts = path.strip("/").split("/")
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        for statement, patterns in reversed(self._paragraphs):
            glob = next((g for g, p in patterns for t in tails if p.fullmatch(t)), None)
            if glob is not None:
                return Licence(statement, family_of(statement), f"Files: {glob}")
        return Licence("unknown (no Files: paragraph matches)", "other", "")


# -- fetching ---------------------------------------------------------------

Run = Callable[..., subprocess.CompletedProcess]


def candidates(policy_output: str) -> dict[str, str | None]:
    """Parse ``apt-cache policy A B...``: each package's candidate version, None if none."""
    out: dict[str, str | None] = {}
    name = None
    for line in policy_output.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            name = line.strip()[:-1]
            out[name] = None
        elif name and line.strip().startswith("Candidate:"):
            version = line.split(":", 1)[1].strip()
            out[name] = None if version in ("", "(none)") else version
    return out


def _unavailable(names: Sequence[str], run: Run) -> list[str]:
    policy = run(["apt-cache", "policy", *names], capture_output=True, text=True, check=False)
    found = candidates(policy.stdout)
    return [n for n in names if found.get(n) is None]


def fetched(cache: Path, name: str) -> bool:
    return (cache / name / FETCHED).is_file()


def fetch(
    names: Sequence[str],
    cache: str | Path,
    *,
    table: dict[str, Package] | None = None,
    offline: bool = False,
    progress: Callable[[str, float], None] | None = None,
    run: Run = subprocess.run,
) -> dict[str, Path]:
    """Make sure each named package's music is unpacked in ``cache``; returns their roots.

    Every check (known package, root, apt's candidate) happens before anything
    is downloaded, so a bad name changes nothing. ``offline`` uses only what
    the cache already holds.
    """
    table = PACKAGES if table is None else table
    cache = Path(cache)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise CorpusError(
            f"No music layout is known for {', '.join(unknown)}; known packages: "
            f"{', '.join(sorted(table))}."
        )
    todo = [n for n in names if not fetched(cache, n)]
    if todo and offline:
        raise CorpusError(
            f"{', '.join(todo)} not in {cache}; run without --offline to fetch with apt-get."
        )
    download = [n for n in todo if _local_deb(cache, n) is None]
    if download:
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            raise CorpusError("apt-get and dpkg-deb are needed to fetch Debian packages.")
        if os.geteuid() != 0:
            raise CorpusError(
                f"Fetching {', '.join(download)} runs apt-get, which needs root; "
                "run build_corpus as root (or with --offline on a built cache)."
            )
        missing = _unavailable(download, run)
        if missing:
            run(["apt-get", "update", "-q"], capture_output=True, check=False)
            missing = _unavailable(download, run)
        if missing:
            raise CorpusError(
                f"apt has no installable candidate for {', '.join(missing)} "
                "(apt-cache policy); check the name and the sources list. Nothing was changed."
            )
    cache.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(todo):
        if progress:
            progress(f"fetching {name}", i / len(todo))
        _fetch_one(table[name], cache, run)
    return {n: cache / n for n in names}


def _local_deb(cache: Path, name: str) -> Path | None:
    """A .deb left by an interrupted run (downloads are kept until unpacked)."""
    return next(iter(sorted((cache / DEBS).glob(f"{name}_*.deb"))), None)


def _fetch_one(pkg: Package, cache: Path, run: Run) -> None:
    deb = _local_deb(cache, pkg.name)
    if deb is None:
        (cache / DEBS).mkdir(parents=True, exist_ok=True)
        done = run(
            ["apt-get", "download", "-q", pkg.name],
            cwd=cache / DEBS,
            capture_output=True,
            text=True,
            check=False,
        )
        deb = _local_deb(cache, pkg.name)
        if done.returncode != 0 or deb is None:
            raise CorpusError(f"apt-get download {pkg.name} failed: {done.stderr.strip()[-400:]}")
    with tempfile.TemporaryDirectory(dir=cache, prefix=f".{pkg.name}-") as tmp:
        root = Path(tmp) / "root"
        files = unpack_deb(pkg, deb, root)
        version = deb.name.split("_")[1].replace("%3a", ":")
        (root / FETCHED).write_text(
            json.dumps({"package": pkg.name, "version": version, "files": files}) + "\n"
        )
        target = cache / pkg.name
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
    deb.unlink()  # the music is unpacked; the package is not worth its disk space


def unpack_deb(pkg: Package, deb: Path, root: Path) -> int:
    """Unpack a .deb's copyright file and music (archives expanded) into root; returns files."""
    root.mkdir(parents=True, exist_ok=True)
    copyright_path = f"usr/share/doc/{pkg.name}/copyright"
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    count = 0
    archives = []
    assert proc.stdout is not None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            path = member.name.removeprefix("./")
            if not member.isreg():
                continue
            if path == copyright_path or pkg.is_music(path) or pkg.is_archive(path):
                member.name = path
                tar.extract(member, root, filter="data")
                count += 1
                if pkg.is_archive(path):
                    archives.append(path)
    if proc.wait() != 0:
        raise CorpusError(f"dpkg-deb could not read {deb.name}")
    for path in archives:
        count += _unpack_archive(pkg, root, path) - 1
    if not (root / copyright_path).is_file():
        raise CorpusError(f"{deb.name} has no {copyright_path}")
    return count


def _unpack_archive(pkg: Package, root: Path, path: str) -> int:
    """Expand a zip's music members into a folder that takes the archive's name."""
    archive = root / path
    held = archive.with_name(archive.name + ".zip-file")
    archive.rename(held)
    folder = PurePosixPath(path).parent
    count = 0
    with zipfile.ZipFile(held) as zf:
        for info in zf.infolist():
            member = PurePosixPath(info.filename)
            if info.is_dir() or member.is_absolute() or ".." in member.parts:
                continue
            if not pkg.is_music(str(folder / member)):
                continue
            target = archive / member
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            count += 1
    held.unlink()
    return count


# -- scanning ---------------------------------------------------------------


@dataclass(frozen=True)
class MusicFile:
    """One music file of an unpacked package."""

    package: str
    path: Path  # on disk
    installed: str  # where Debian installs it; "archive:member" inside an archive
    overlay: str  # the path the game sees, used for globs and licences


def _looks_like_audio(path: Path) -> bool:
    if path.suffix.lower() in AUDIO_SUFFIXES:
        return True
    with open(path, "rb") as f:
        head = f.read(4)
    return head.startswith(_AUDIO_MAGIC) or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


def music_files(pkg: Package, root: Path) -> list[MusicFile]:
    """The package's music files on disk, in path order (symlinks and non-audio left out)."""
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("usr/share/doc/") or rel == FETCHED:
            continue
        installed, overlay = "/" + rel, rel
        for archive in pkg.archives:
            prefix = next(
                (
                    "/".join(rel.split("/")[: i + 1])
                    for i in range(rel.count("/"))
                    if fnmatchcase("/".join(rel.split("/")[: i + 1]), archive)
                ),
                None,
            )
            if prefix:
                member = rel[len(prefix) + 1 :]
                installed = f"/{prefix}:{member}"
                overlay = f"{PurePosixPath(prefix).parent}/{member}"
        if pkg.is_music(overlay) and _looks_like_audio(path):
            out.append(MusicFile(pkg.name, path, installed, overlay))
    return out


def copyright_of(pkg: Package, root: Path) -> CopyrightFile:
    path = root / "usr" / "share" / "doc" / pkg.name / "copyright"
    if not path.is_file():
        raise CorpusError(f"{pkg.name} has no copyright file at {path}; fetch it again.")
    return CopyrightFile(path.read_text(errors="replace"), pkg.licence)
