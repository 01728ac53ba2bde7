"""Free-form tags shared by clips and tracks: typed as text, stored normalised."""

from __future__ import annotations

MAX_TAGS = 10
MAX_TAG_LENGTH = 30


def parse_tags(text: str) -> list[str]:
    """Split comma-separated text into unique, lower-case, trimmed tags, in order."""
    seen: list[str] = []
    for raw in (text or "").split(","):
        tag = " ".join(raw.split()).lower()[:MAX_TAG_LENGTH]
        if tag and tag not in seen:
            seen.append(tag)
    return seen[:MAX_TAGS]


def format_tags(tags: list[str]) -> str:
    return ", ".join(tags)
