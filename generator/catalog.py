"""What each generation mode is, in words and limits, without importing the engine.

Web processes read this to build forms and pages; torch is only imported by
workers and commands. The engine's registry (generator.modes) uses the same
names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModeInfo:
    name: str
    label: str
    help: str
    clips: int  # how many input clips the mode takes
    arch: str  # which kind of model version serves it
    strength_label: str = ""  # what the 0..1 control means; empty when unused
    default_seconds: float = 10.0


MODE_INFO = {
    info.name: info
    for info in (
        ModeInfo(
            "variation",
            "Variation",
            "A new take on one clip's texture, at any length, from random-weight CNN statistics.",
            clips=1,
            arch="texture",
        ),
        ModeInfo(
            "style",
            "Style transfer",
            "The content of the first clip in the texture of the second.",
            clips=2,
            arch="texture",
            strength_label="Balance: 0 keeps the first clip's content, 1 takes the second's",
        ),
        ModeInfo(
            "remix",
            "Remix",
            "The diffusion U-Net repaints the clip.",
            clips=1,
            arch="unet",
            strength_label="Strength: 0 returns the clip, 1 ignores it",
        ),
        ModeInfo(
            "continue",
            "Continue",
            "Extends the clip past its end, window by window, with seamless joins.",
            clips=1,
            arch="unet",
            default_seconds=20.0,
        ),
        ModeInfo(
            "interpolate",
            "Interpolate",
            "Morphs from the first clip into the second over the chosen duration.",
            clips=2,
            arch="unet",
        ),
        ModeInfo(
            "dream",
            "Dream",
            "Unconditional music from a seed and a model; no clip needed.",
            clips=0,
            arch="unet",
        ),
    )
}
MODE_CHOICES = [(info.name, info.label) for info in MODE_INFO.values()]
