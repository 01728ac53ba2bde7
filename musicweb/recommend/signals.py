"""Whatever changes a listener's history changes their recommendations at once.

Each listener's cached picks are keyed by a token; these receivers replace it
when their ratings, plays, skips or style picks change, and the catalog's token
when a track is saved (published, unpublished, hidden) or deleted.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from musicweb.gallery.models import Play, Rating, Track
from musicweb.recommend.data import CATALOG_KEY, bump, user_token_key
from musicweb.recommend.models import Skip, StylePick


@receiver(post_save, sender=Rating)
@receiver(post_delete, sender=Rating)
@receiver(post_save, sender=Skip)
@receiver(post_delete, sender=Skip)
@receiver(post_save, sender=StylePick)
@receiver(post_delete, sender=StylePick)
def _user_changed(sender, instance, **kwargs) -> None:
    bump(user_token_key(instance.user_id))


@receiver(post_save, sender=Play)
@receiver(post_delete, sender=Play)
def _played(sender, instance: Play, **kwargs) -> None:
    if instance.listener.startswith("u:"):
        bump(user_token_key(int(instance.listener[2:])))


@receiver(post_save, sender=Track)
@receiver(post_delete, sender=Track)
def _track_changed(sender, instance: Track, **kwargs) -> None:
    bump(CATALOG_KEY)
    bump(user_token_key(instance.owner_id))
