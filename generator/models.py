"""Rows the engine works from: model versions, and generation jobs as the source of truth.

A job row holds everything about a job (inputs, recipe, status, progress,
lease, result); the task queue only carries its id. Pages, the API, sockets
and the admin all read the same row.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from generator import live
from generator.engine.catalog import MODE_CHOICES, MODE_INFO
from generator.engine.contract import SETTINGS, record


def json_safe(value):
    """Replace NaN and infinities (which JSON columns refuse) with None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


class ModelVersionError(Exception):
    """A change to a model version that we refuse; the message says what to do instead."""


class ModelVersionQuerySet(models.QuerySet):
    def active(self) -> ModelVersionQuerySet:
        return self.filter(state=ModelVersion.State.ACTIVE)

    def next_version(self, name: str) -> int:
        """The number the next version called `name` gets: one past the highest so far."""
        latest = self.filter(name=name).aggregate(models.Max("version"))["version__max"]
        return (latest or 0) + 1

    def register(self, *, name: str, arch: str, config: dict, **fields) -> ModelVersion:
        """Add the next version of `name`, serving every mode of its architecture.

        config and metrics are stored JSON-safe (NaN and infinities become None).
        """
        fields["metrics"] = json_safe(fields.get("metrics", {}))
        return self.create(
            name=name,
            version=self.next_version(name),
            arch=arch,
            modes=ModelVersion.modes_for_arch(arch),
            config=json_safe(config),
            **fields,
        )

    def for_mode(self, mode: str) -> ModelVersionQuerySet:
        # A handful of rows: filtering in Python works alike on SQLite and PostgreSQL.
        ids = [v.pk for v in self.active().only("pk", "modes") if mode in v.modes]
        return self.filter(pk__in=ids)

    def default_for(self, mode: str) -> ModelVersion | None:
        versions = list(self.for_mode(mode).order_by("-created"))
        defaults = [v for v in versions if mode in v.default_for]
        return (defaults or versions or [None])[0]


class ModelVersion(models.Model):
    """One generative network (or the training-free engine) that users can pick."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    arch = models.CharField(
        max_length=40, help_text="Architecture name, e.g. texture, unet, tagger."
    )
    modes = models.JSONField(default=list, help_text="Modes this version serves.")
    default_for = models.JSONField(
        default=list, blank=True, help_text="Modes it is the default of."
    )
    weights_path = models.CharField(
        max_length=500, blank=True, help_text="Folder with model.safetensors and config.json."
    )
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    provenance = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="unique_model_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @staticmethod
    def modes_for_arch(arch: str) -> list[str]:
        """The modes a version of this architecture serves (none for a tagger)."""
        return [info.name for info in MODE_INFO.values() if info.arch == arch]

    def activate(self) -> None:
        """Offer this version to users."""
        self.state = self.State.ACTIVE
        self.save(update_fields=["state"])

    def retire(self) -> None:
        """Stop offering this version; jobs that use it keep it. A default cannot retire."""
        if self.default_for:
            raise ModelVersionError(f"{self} is a default; make another version default first.")
        self.state = self.State.RETIRED
        self.save(update_fields=["state"])

    def make_default(self) -> None:
        """Make this version the default for every mode it serves, and active."""
        with transaction.atomic():
            for other in type(self).objects.select_for_update().exclude(pk=self.pk):
                kept = [m for m in other.default_for if m not in self.modes]
                if kept != other.default_for:
                    other.default_for = kept
                    other.save(update_fields=["default_for"])
            self.default_for = list(self.modes)
            self.state = self.State.ACTIVE
            self.save(update_fields=["default_for", "state"])

    def roll_back(self) -> ModelVersion:
        """Retire this version and make the newest earlier version of its name the default."""
        previous = (
            type(self)
            .objects.filter(name=self.name, version__lt=self.version)
            .order_by("-version")
            .first()
        )
        if previous is None:
            raise ModelVersionError(f"No earlier version of {self.name} to roll back to.")
        with transaction.atomic():
            previous.make_default()
            self.state = self.State.RETIRED
            self.default_for = []
            self.save(update_fields=["state", "default_for"])
        return previous


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class JobQuerySet(models.QuerySet):
    def owned_by(self, user) -> JobQuerySet:
        return self.filter(owner=user) if user.is_authenticated else self.none()

    def visible_to(self, user) -> JobQuerySet:
        if user.is_authenticated and user.is_staff:
            return self.all()
        return self.owned_by(user)

    def unfinished(self) -> JobQuerySet:
        return self.filter(status__in=LeasedJob.UNFINISHED)

    def queued(self) -> JobQuerySet:
        return self.filter(status=JobStatus.QUEUED)

    def expired_leases(self) -> JobQuerySet:
        return self.filter(status=JobStatus.RUNNING, lease_expires__lt=timezone.now())

    def in_queue_order(self) -> JobQuerySet:
        """Queued jobs in the order workers take them: by turn, then oldest first."""
        return self.queued().order_by("turn", "created", "id")

    def get_for_user(self, user, uid) -> LeasedJob:
        """The job if the user may see it (its owner, or staff); 404 for anyone else.

        Pages and the API share this lookup, so an id leaks nothing.
        """
        try:
            return self.visible_to(user).select_related(*self.model.SHOWN_WITH).get(uid=uid)
        except (self.model.DoesNotExist, ValueError, ValidationError):
            raise Http404("No such job.") from None


class LeasedJob(models.Model):
    """A unit of background work whose row is the truth: status, progress, lease, error.

    Every transition is a conditional UPDATE, so two processes can never both
    win: a worker claims a queued row, renews its lease while it works, and
    only the lease holder may end it. A worker that dies lets the lease lapse
    and requeue_or_fail() returns the row to the queue.
    """

    Status = JobStatus
    UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
    FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)
    MAX_ATTEMPTS = 2
    SHOWN_WITH: tuple[str, ...] = ()  # rows a job's page and API detail read beside it

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=100, default="waiting in the queue")
    eta_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)

    worker = models.CharField(max_length=100, blank=True)
    lease_expires = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    turn = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many of the owner's earlier jobs were unfinished when this one was "
        "queued: workers take lower turns first, so no one account fills the queue.",
    )

    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created", "-id"]

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    def _rows(self):
        return type(self)._default_manager.filter(pk=self.pk)

    def live_groups(self) -> list[str]:
        """The channel groups that watch this job (generator.live sends to them)."""
        return [live.job_group(self.uid)]

    def time_limit(self) -> float | None:
        """Seconds of work after which the worker gives up; None for no limit."""
        return None

    def queue_position(self) -> int | None:
        """1 for the next job to run (in the order workers take them); None once not queued."""
        if self.status != JobStatus.QUEUED:
            return None
        earlier = Q(created__lt=self.created) | Q(created=self.created, id__lt=self.id)
        ahead = (
            type(self)
            ._default_manager.queued()
            .filter(Q(turn__lt=self.turn) | (Q(turn=self.turn) & earlier))
        )
        return ahead.count() + 1

    def state(self) -> dict:
        """The job's public state, as sent over the socket and the API."""
        return {
            "id": str(self.uid),
            "status": self.status,
            "progress": round(self.progress, 4),
            "stage": self.stage,
            "eta": None if self.eta_seconds is None else round(self.eta_seconds, 1),
            "queue_position": self.queue_position(),
            "error": self.error,
        }

    def claim(self, worker: str, lease_seconds: float, task_id: str = "") -> bool:
        """Take a queued job for this worker; False if another worker or a cancel won.

        task_id names the queue's task that runs it, so a reaper can close that task's
        row if this worker dies.
        """
        now = timezone.now()
        won = (
            self._rows()
            .filter(status=JobStatus.QUEUED, cancel_requested=False)
            .update(
                status=JobStatus.RUNNING,
                worker=worker,
                started=now,
                lease_expires=now + timedelta(seconds=lease_seconds),
                attempts=F("attempts") + 1,
                stage="starting",
                **({"task_id": task_id} if task_id else {}),
            )
        )
        if won:
            self.refresh_from_db()
        return bool(won)

    def report(
        self,
        worker: str,
        progress: float,
        stage: str,
        eta: float | None,
        lease_seconds: float,
        **fields,
    ) -> bool:
        """Record progress (never backwards) and renew the lease; False if no longer ours."""
        updated = (
            self._rows()
            .filter(status=JobStatus.RUNNING, worker=worker)
            .update(
                progress=Greatest(F("progress"), progress),
                stage=stage,
                eta_seconds=eta,
                lease_expires=timezone.now() + timedelta(seconds=lease_seconds),
                **fields,
            )
        )
        self.progress, self.stage, self.eta_seconds = max(self.progress, progress), stage, eta
        for name, value in fields.items():
            setattr(self, name, value)
        return bool(updated)

    def fail(self, worker: str, error: str) -> bool:
        return self._end(worker, JobStatus.FAILED, error=error[:2000], stage="failed")

    def mark_cancelled(self, worker: str) -> bool:
        return self._end(worker, JobStatus.CANCELLED, stage="cancelled")

    def _end(self, worker: str, status: str, **fields) -> bool:
        updated = (
            self._rows()
            .filter(status=JobStatus.RUNNING, worker=worker)
            .update(
                status=status,
                finished=timezone.now(),
                lease_expires=None,
                eta_seconds=None,
                **fields,
            )
        )
        if updated:
            self.refresh_from_db()
        return bool(updated)

    def cancel(self) -> bool:
        """Cancel at once if queued; ask the worker to stop if running. False if already over.

        Watchers hear of it once the change is committed, whoever cancelled.
        """
        with transaction.atomic():
            changed = self._rows().filter(status=JobStatus.QUEUED).update(
                status=JobStatus.CANCELLED,
                cancel_requested=True,
                finished=timezone.now(),
                stage="cancelled",
            ) or self._rows().filter(status=JobStatus.RUNNING).update(
                cancel_requested=True, stage="cancelling"
            )
        self.refresh_from_db()
        if changed:
            transaction.on_commit(lambda: live.broadcast(self))
        return bool(changed)

    def fail_unqueued(self, error: str) -> bool:
        """Fail a queued job that no worker can be given; False if it left the queue."""
        failed = (
            self._rows()
            .filter(status=JobStatus.QUEUED)
            .update(
                status=JobStatus.FAILED,
                finished=timezone.now(),
                stage="failed",
                error=error[:2000],
            )
        )
        if failed:
            self.refresh_from_db()
        return bool(failed)

    def requeue_or_fail(self) -> str:
        """Return a job whose worker vanished to the queue, or fail it after too many tries."""
        lapsed = self._rows().filter(status=JobStatus.RUNNING, lease_expires__lt=timezone.now())
        if self.cancel_requested:
            lapsed.update(status=JobStatus.CANCELLED, finished=timezone.now(), stage="cancelled")
            return JobStatus.CANCELLED
        if self.attempts >= self.MAX_ATTEMPTS:
            lapsed.update(
                status=JobStatus.FAILED,
                finished=timezone.now(),
                lease_expires=None,
                stage="failed",
                error="The worker running this job stopped responding, twice. Please retry.",
            )
            return JobStatus.FAILED
        lapsed.update(
            status=JobStatus.QUEUED,
            worker="",
            lease_expires=None,
            stage="back in the queue after a worker stopped",
            eta_seconds=None,
        )
        return JobStatus.QUEUED


class GenerationJob(LeasedJob):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    title = models.CharField(max_length=200)
    mode = models.CharField(max_length=20, choices=MODE_CHOICES)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="jobs")
    clip = models.ForeignKey(
        "library.Clip", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clip2 = models.ForeignKey(
        "library.Clip", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_names = models.JSONField(default=list, help_text="Clip titles at submission time.")
    seconds = models.FloatField()
    strength = models.FloatField(default=SETTINGS["strength"].default)
    steps = models.PositiveIntegerField(null=True, blank=True)
    seed = models.BigIntegerField()
    # The music network's settings (generator.engine.music_modes); other modes ignore them.
    styles = models.JSONField(default=list, blank=True)
    guidance = models.FloatField(default=SETTINGS["guidance"].default)
    tempo = models.FloatField(null=True, blank=True)
    start = models.FloatField(null=True, blank=True)
    end = models.FloatField(null=True, blank=True)
    track = models.OneToOneField(
        "gallery.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="job"
    )

    SHOWN_WITH = ("model_version", "track", "clip", "clip2")

    class Meta(LeasedJob.Meta):
        indexes = [
            models.Index(fields=["owner", "-created"]),
            models.Index(fields=["status", "created"]),
        ]

    def __str__(self) -> str:
        return f"{self.mode} job {self.uid} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("generator:job", args=[self.uid])

    def live_groups(self) -> list[str]:
        return [*super().live_groups(), live.user_group(self.owner_id)]

    def time_limit(self) -> float:
        """Derived from the work asked for: a generous multiple of what it takes here.

        The mode's measured worker seconds per second of output and per step, times
        JOB_TIME_LIMIT_FACTOR (for a busy machine), plus JOB_TIME_LIMIT_BASE_SECONDS for
        loading clips and models.
        """
        info = MODE_INFO[self.mode]
        estimate = info.work * self.seconds * (self.steps or info.default_steps)
        return settings.JOB_TIME_LIMIT_BASE_SECONDS + settings.JOB_TIME_LIMIT_FACTOR * estimate

    @property
    def recipe(self) -> dict:
        """Everything needed to reproduce the result (stored with its track)."""
        return record(
            {name: getattr(self, name) for name in SETTINGS},
            model=self.model_version.label,
            model_version_id=self.model_version_id,
            sources=self.source_names,
        )

    def state(self) -> dict:
        state = super().state()
        if self.status == JobStatus.DONE and self.track_id:
            state["result"] = self.track.urls()
        return state

    def finish(self, worker: str, track) -> bool:
        return self._end(worker, JobStatus.DONE, track=track, progress=1.0, stage="done")


class TrainingJob(LeasedJob):
    """Training a new model version from chosen clips (or the corpus) on a worker."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_jobs"
    )
    name = models.CharField(max_length=100, help_text="Name of the model version to create.")
    arch = models.CharField(max_length=40)
    clips = models.ManyToManyField("library.Clip", blank=True, related_name="+")
    use_corpus = models.BooleanField(default=False, help_text="Train on the shipped corpus too.")
    steps = models.PositiveIntegerField()
    batch_size = models.PositiveSmallIntegerField(default=8)
    learning_rate = models.FloatField(default=3e-4)
    seed = models.BigIntegerField(default=0)
    losses = models.JSONField(default=list, help_text="[step, loss] pairs for the loss curve.")
    folder = models.CharField(
        max_length=300, help_text="Where checkpoints go, under MEDIA_ROOT; shared by resumed runs."
    )
    result = models.OneToOneField(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_job"
    )

    def __str__(self) -> str:
        return f"training {self.name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("generator:training", args=[self.uid])

    def state(self) -> dict:
        state = super().state()
        state["losses"] = self.losses[-400:]
        if self.result_id:
            state["result"] = {"version": self.result.label, "url": reverse("generator:models")}
        return state

    def finish(self, worker: str, version: ModelVersion) -> bool:
        return self._end(worker, JobStatus.DONE, result=version, progress=1.0, stage="done")


class WorkerHeartbeat(models.Model):
    """Each worker process says it is alive every few seconds; /healthz counts the living."""

    name = models.CharField(max_length=100, unique=True)
    started = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

    @classmethod
    def beat(cls, name: str) -> None:
        cls.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})

    @classmethod
    def alive(cls, within_seconds: float) -> int:
        since = timezone.now() - timedelta(seconds=within_seconds)
        return cls.objects.filter(last_seen__gte=since).count()
