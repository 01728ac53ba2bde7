"""Register the models that ship with the app, so a fresh install can generate at once.

The training-free texture engine serves variation and style; every checkpoint
folder under generator/weights/ (model.safetensors beside config.json) becomes
an active version for the modes its architecture serves. Existing rows are
left alone, so an admin's later choices (retire, other defaults) stick.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings

from generator.models import ModelVersion, json_safe

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def builtin_versions() -> list[dict]:
    versions = [
        {
            "name": "texture",
            "arch": "texture",
            "weights_path": "",
            "provenance": "Training-free: random-weight convolution statistics of the input clip.",
            "config": {},
        }
    ]
    for config_path in sorted(WEIGHTS_DIR.glob("*/config.json")):
        config = json_safe(json.loads(config_path.read_text()))
        versions.append(
            {
                "name": config_path.parent.name,
                "arch": config.get("arch", config.get("architecture", "")),
                "weights_path": str(config_path.parent.relative_to(settings.BASE_DIR)),
                "provenance": json.dumps(config.get("provenance", ""))[:2000],
                "config": config,
                "metrics": config.get("metrics", {}),
            }
        )
    return versions


def register_builtin_models(sender=None, using: str = "default", **kwargs) -> None:
    if using != "default":
        return
    for spec in builtin_versions():
        modes = ModelVersion.modes_for_arch(spec["arch"])
        version, created = ModelVersion.objects.using(using).get_or_create(
            name=spec["name"],
            version=1,
            defaults={
                **spec,
                "modes": modes,
                "default_for": [m for m in modes if not ModelVersion.objects.default_for(m)],
                "state": ModelVersion.State.ACTIVE,
            },
        )
        if created:
            log.info("registered built-in model %s for %s", version, ", ".join(modes) or "tagging")
