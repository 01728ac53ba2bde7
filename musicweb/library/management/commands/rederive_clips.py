"""Re-derive every stored clip's analysis copy, spectrogram and peaks from its original.

After the move to full-band analysis (44,100 Hz, stereo kept), clips uploaded
before it still have mono 22,050 Hz copies; they keep working, but sound and
look duller than their originals. This brings them up to date. It can be
stopped at any point and run again: each clip is switched in its own
transaction, done clips are skipped, and files a killed run left behind are
removed. Clips whose original is missing or unreadable are reported and keep
what they have.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from musicweb.library.derive import ANALYSIS_VERSION, Unusable, rederive
from musicweb.library.models import Clip


class Command(BaseCommand):
    help = "Re-derive clips' analysis copies, spectrograms and peaks from their originals."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Also re-derive clips that are already at the current version.",
        )

    def handle(self, *args, **opts) -> None:
        pending = Clip.objects.order_by("pk")
        if not opts["force"]:
            pending = pending.filter(analysis_version__lt=ANALYSIS_VERSION)
        ids = list(pending.values_list("pk", flat=True))
        done, failed = 0, []
        for number, pk in enumerate(ids, start=1):
            clip = Clip.objects.filter(pk=pk).first()
            if clip is None:  # deleted since the list was made
                continue
            try:
                if rederive(clip):
                    done += 1
            except Unusable as exc:
                failed.append(clip)
                self.stderr.write(f"clip {clip.uid} ({clip.title!r}, owner {clip.owner_id}): {exc}")
                continue
            if opts["verbosity"] >= 2:
                self.stdout.write(f"{number}/{len(ids)} clip {clip.uid} re-derived")
        current = Clip.objects.filter(analysis_version__gte=ANALYSIS_VERSION).count()
        self.stdout.write(
            f"Re-derived {done} clip(s); {current} of {Clip.objects.count()} are at version "
            f"{ANALYSIS_VERSION}; {len(failed)} could not be re-derived."
        )
        if failed:
            raise CommandError(
                f"{len(failed)} clip(s) could not be re-derived (listed above); they keep their "
                "old analysis copies and still work."
            )
