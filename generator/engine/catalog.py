"""What each generation mode is, in words and limits, without importing the engine.

The one description of the modes: web processes read it to build forms and
pages (torch is only imported by workers and commands), and the engine's
registry (generator.engine.modes) takes its labels, clip counts and limits from it.
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
    max_seconds: float  # the longest output the engine makes
    strength_label: str = ""  # what the 0..1 control means; empty when unused
    # The effort (optimiser or denoising steps) when none is asked for, and the most a job
    # may ask for: the cap bounds one job's worker time.
    default_steps: int = 50
    max_steps: int = 200
    # Seconds of worker time per second of output and per step on the 2-core reference CPU
    # (docs/performance.md); a job's time limit is derived from it. The default is the
    # costliest mode's, so a new mode is never cut short.
    work: float = 0.02


MODE_INFO = {
    info.name: info
    for info in (
        ModeInfo(
            "variation",
            "Variation",
            "A new take on the clip's sound and texture, at any length, made without a "
            "trained model. The seed picks which variation.",
            clips=1,
            arch="texture",
            max_seconds=300.0,
            default_steps=50,
            max_steps=200,
            work=0.005,
        ),
        ModeInfo(
            "style",
            "Style transfer",
            "The first clip's content in the second clip's texture.",
            clips=2,
            arch="texture",
            max_seconds=300.0,
            default_steps=50,
            max_steps=200,
            work=0.005,
            strength_label="Balance: 0 keeps the first clip's content, 1 takes the second's",
        ),
        ModeInfo(
            "remix",
            "Remix",
            "The diffusion U-Net repaints the clip.",
            clips=1,
            arch="unet",
            max_seconds=120.0,
            default_steps=20,
            max_steps=100,
            work=0.008,
            strength_label="Strength: 0 returns the clip, 1 ignores it",
        ),
        ModeInfo(
            "continue",
            "Continue",
            "Extends the clip from a chosen point (its end unless you pick one), window by "
            "window, with new music that follows its beat. The duration is the total "
            "length, the kept part of the clip included.",
            clips=1,
            arch="unet",
            max_seconds=360.0,
            default_steps=20,
            max_steps=50,
            work=0.02,
        ),
        ModeInfo(
            "interpolate",
            "Interpolate",
            "Morphs from the first clip into the second over the chosen duration.",
            clips=2,
            arch="unet",
            max_seconds=120.0,
            default_steps=20,
            max_steps=100,
            work=0.008,
            strength_label="Freedom: how far the morph may stray from the two clips",
        ),
        ModeInfo(
            "dream",
            "Dream",
            "New music from the seed alone, steered by style labels and a tempo if you choose "
            "them; no clip needed.",
            clips=0,
            arch="unet",
            max_seconds=180.0,
            default_steps=20,
            max_steps=100,
            work=0.008,
        ),
        ModeInfo(
            "replace",
            "Replace a section",
            "The music network repaints a chosen span of the clip to fit what surrounds it; "
            "everything outside the span stays exactly as it was.",
            clips=1,
            arch="unet",
            max_seconds=360.0,
            default_steps=12,
            max_steps=100,
            work=0.008,
        ),
    )
}
MODE_CHOICES = [(info.name, info.label) for info in MODE_INFO.values()]
