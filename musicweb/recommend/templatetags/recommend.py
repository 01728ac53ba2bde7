"""The listening history on one's own profile page: {% listening_history user %}."""

from __future__ import annotations

from django import template

from musicweb.recommend.models import history

register = template.Library()


@register.inclusion_tag("recommend/_history.html")
def listening_history(user) -> dict:
    return {"items": history(user, limit=100)}
