"""Mark the navigation link of the section the visitor is in."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def current(context, name: str) -> str:
    """Say aria-current="page" when the request is at or under the named URL (home: exactly)."""
    request = context.get("request")
    if request is None:
        return ""
    target = reverse(name)
    here = request.path == target or (target != "/" and request.path.startswith(target))
    return mark_safe(' aria-current="page"') if here else ""
