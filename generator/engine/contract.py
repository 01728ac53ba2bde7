"""What callers and the engine agree on: the recipe, ``Params``, and the callback types.

The recipe is the one list of generation settings (mode, clips, model,
seconds, strength, steps, seed, the music network's styles, guidance, tempo,
start and end, title) with their defaults and limits. The
Generate form, the API serializer, the job row, resubmit, the "try these
settings" link and ``manage.py generate`` are all derived from it, so a new
setting is added here (plus its widget) and nowhere else. ``Params`` is the
part of the recipe the engine itself reads.

Pure Python: web processes import this without torch; no Django either.
The errors the engine raises live in generator.engine.errors.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

from .errors import Cancelled


class Progress(Protocol):
    """Called as work advances: stage in words, fraction done 0..1, and data as fields.

    Fields carry numbers (a training step, a loss) so receivers never parse the words.
    """

    def __call__(self, stage: str, fraction: float, /, **fields: Any) -> None: ...


# Asked between steps; True means stop soon (the engine then raises errors.Cancelled).
CancelCheck = Callable[[], bool]


def stop_if_cancelled(cancelled: CancelCheck | None, message: str = "Cancelled.") -> None:
    """Raise errors.Cancelled when the caller has asked to stop."""
    if cancelled is not None and cancelled():
        raise Cancelled(message)


# One range for seeds everywhere: it survives JavaScript numbers and JSON intact.
MAX_SEED = 2**31 - 1


def random_seed() -> int:
    """A fresh seed for a request that gave none."""
    return secrets.randbelow(MAX_SEED + 1)


RANDOM = "random"  # the default of a setting drawn afresh for each request (the seed)


@dataclass(frozen=True)
class Setting:
    """One generation setting: its kind, words, default and limits, shared by every front end.

    ``kind`` says what a value is: "mode" (a name from the catalog), "clip" (a
    source clip: one of the user's clips on the site, an audio file on the
    command line), "model" (a model version on the site, a checkpoint folder on
    the command line), "float", "int", "labels" (a list of short words: style
    labels) or "text". ``default`` stands in for an
    omitted value (None: nothing, or the mode's own choice; RANDOM: a fresh
    seed); ``initial`` only fills an empty form for a required setting.
    """

    name: str
    kind: str
    label: str
    help: str
    required: bool = False
    default: Any = None
    initial: Any = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    cli_flag: str | None = None  # None: not offered by `manage.py generate`


def _setting(name: str, kind: str, label: str, help: str, **limits: Any) -> Setting:
    return Setting(name, kind, label, help, **{"cli_flag": f"--{name}", **limits})


RECIPE: tuple[Setting, ...] = (
    _setting("mode", "mode", "Mode", "How the music is made from your clips.", required=True),
    _setting("clip", "clip", "Clip", "The clip to start from."),
    _setting(
        "clip2",
        "clip",
        "Second clip",
        "For style transfer (its texture) and interpolate (where to end).",
    ),
    _setting(
        "model_version",
        "model",
        "Model",
        "Leave empty for the mode's default model.",
        cli_flag="--model",
    ),
    _setting(
        "seconds",
        "float",
        "Seconds",
        "Length of the result in seconds.",
        required=True,
        initial=10,
        minimum=1.0,
    ),
    _setting(
        "strength",
        "float",
        "Strength",
        "Style: 0 keeps the first clip's content, 1 takes the second's texture. "
        "Remix: 0 returns the clip, 1 ignores it.",
        default=0.5,
        minimum=0.0,
        maximum=1.0,
    ),
    _setting(
        "steps",
        "int",
        "Steps",
        "Fewer steps are faster, more are finer. Empty for the mode's default.",
        minimum=1,
        maximum=200,
    ),
    _setting(
        "seed",
        "int",
        "Seed",
        "The same clip, settings and seed always give the same music. Random if empty.",
        default=RANDOM,
        minimum=0,
        maximum=MAX_SEED,
    ),
    # The music network's modes (generator.engine.music_modes) read these; others ignore them.
    _setting(
        "styles",
        "labels",
        "Styles",
        "Dream and continue: style labels to steer towards, separated by commas.",
        default=(),
        max_length=40,
    ),
    _setting(
        "guidance",
        "float",
        "Style guidance",
        "How strongly the styles steer: 0 ignores them.",
        default=2.0,
        minimum=0.0,
        maximum=10.0,
    ),
    _setting(
        "tempo",
        "float",
        "Tempo",
        "Dream: beats a minute. Empty to draw one from the seed.",
        minimum=40.0,
        maximum=240.0,
    ),
    _setting(
        "start",
        "float",
        "Start",
        "Continue: seconds into the clip to go on from (empty: its end). "
        "Replace: where the section starts.",
        minimum=0.0,
    ),
    _setting(
        "end",
        "float",
        "End",
        "Replace: seconds into the clip where the section ends.",
        minimum=0.0,
    ),
    # The command line names its result with --out; a title only names a job and its track.
    Setting("title", "text", "Title", "Name your track.", max_length=200),
)
SETTINGS: dict[str, Setting] = {setting.name: setting for setting in RECIPE}


def default_of(name: str) -> Any:
    """What an omitted setting means: its default, or a fresh seed."""
    default = SETTINGS[name].default
    return random_seed() if default == RANDOM else default


def with_defaults(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting, in recipe order: the value given, else its default."""
    return {
        name: values[name] if values.get(name) is not None else default_of(name)
        for name in SETTINGS
    }


@dataclass(frozen=True)
class Params:
    """The settings the engine reads: output length, seed, how far to go, and the effort.

    Fields are recipe settings (their defaults and limits are in RECIPE);
    ``steps=None`` lets each mode use its own number.
    """

    seconds: float
    seed: int
    strength: float = SETTINGS["strength"].default
    steps: int | None = SETTINGS["steps"].default
    styles: tuple[str, ...] = SETTINGS["styles"].default
    guidance: float = SETTINGS["guidance"].default
    tempo: float | None = SETTINGS["tempo"].default
    start: float | None = SETTINGS["start"].default
    end: float | None = SETTINGS["end"].default

    def __post_init__(self) -> None:
        # A job row and JSON hold the styles as a list; the engine compares and hashes tuples.
        if isinstance(self.styles, list):
            object.__setattr__(self, "styles", tuple(self.styles))

    @classmethod
    def of(cls, source: Any) -> Params:
        """The Params held by anything with the same attribute names (a job row)."""
        return cls(**{name: getattr(source, name) for name in PARAM_NAMES})


PARAM_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Params))


def record(
    values: Mapping[str, Any], *, model: str, model_version_id: int | None, sources: list[str]
) -> dict[str, Any]:
    """The recipe stored with a job and its track: everything needed to reproduce it."""
    return {
        "mode": values["mode"],
        "model": model,
        "model_version_id": model_version_id,
        # Labels are stored as a list, as JSON gives them back.
        **{name: _stored(values[name]) for name in PARAM_NAMES},
        "sources": list(sources),
    }


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def settings_from_record(stored: Mapping[str, Any], **fallbacks: Any) -> dict[str, Any]:
    """The settings a stored recipe gives back (to refill a form), in recipe order.

    ``fallbacks`` stand in for what an older record lacks. Sources and the
    title stay out: they name someone's clips and track, not a way of making music.
    """
    values = {
        "mode": stored.get("mode"),
        "model_version": stored.get("model_version_id"),
        **{name: stored.get(name) for name in PARAM_NAMES},
    }
    for name, value in fallbacks.items():
        if not values.get(name):
            values[name] = value
    if values.get("styles"):  # a link and a form field take labels as words with commas
        values["styles"] = ", ".join(values["styles"])
    return {name: values[name] for name in SETTINGS if values.get(name) not in (None, (), [])}
