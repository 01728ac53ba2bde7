"""Show a stored recipe's settings with the recipe's own words, whatever settings it holds."""

from __future__ import annotations

from django import template

from generator.engine.contract import PARAM_NAMES, SETTINGS

register = template.Library()


@register.filter
def recipe_settings(recipe: dict) -> list[tuple[str, object]]:
    """(label, value) for each engine setting in a job's or track's recipe; unset ones left out."""
    return [
        (SETTINGS[name].label, _shown(recipe[name]))
        for name in PARAM_NAMES
        if recipe.get(name) not in (None, [], ())
    ]


def _shown(value: object) -> object:
    """Labels (styles) read as words separated by commas."""
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
