"""Run one training job inside a worker: the web's path into generator.engine.training.

The same Reporter as generation turns training progress into row updates and
socket messages, with the loss curve kept on the row. The result becomes a
draft ModelVersion; a cancelled run keeps its resumable state for Resume.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.conf import settings
from django.db import transaction

from generator.engine.catalog import MODE_INFO
from generator.models import ModelVersion, TrainingJob
from generator.registry import json_safe
from generator.runner import WORKER_ID, Reporter, broadcast

log = logging.getLogger(__name__)

# training.train reports "training step 40 of 400, loss 0.1234".
_STEP_LOSS = re.compile(r"step (\d+) of \d+, loss ([-+\d.eE]+)")


def training_data(job: TrainingJob) -> list[Path]:
    """The audio files to train on: the chosen clips' analysis copies, and the corpus if asked."""
    paths = [Path(clip.analysis.path) for clip in job.clips.all()]
    if job.use_corpus:
        corpus = Path(settings.CORPUS_DIR)
        if not corpus.exists():
            raise FileNotFoundError(
                f"The corpus is not built on this server ({corpus}); "
                "run `manage.py build_corpus` there first."
            )
        paths.append(corpus)
    return paths


EVAL_CLIPS = 4
EVAL_SECONDS = 5.0


def quick_evaluation(checkpoint, job: TrainingJob) -> dict:
    """A first look at a new U-Net: remix a few training clips, score them as evaluate does.

    The Fréchet distance of remixes at strength 0.5 to their sources sits beside the 0.25 s
    chunk-shuffle baseline on the same clips; `manage.py evaluate` gives the full report on
    held-out music.
    """
    if checkpoint.arch != "unet":
        return {}
    from generator.engine import audio, evaluation, modes

    length = int(EVAL_SECONDS * audio.SAMPLE_RATE)
    references = []
    for clip in job.clips.all()[:EVAL_CLIPS]:
        samples = audio.load(clip.analysis.path)[:length]
        if len(samples) >= audio.SAMPLE_RATE and not audio.is_silent(samples):
            references.append(samples)
    if len(references) < 2:
        return {"note": "too few clips for a first evaluation; run manage.py evaluate"}
    remixes = [
        modes.generate(
            "remix",
            [clip],
            modes.Params(seconds=len(clip) / audio.SAMPLE_RATE, seed=i, strength=0.5, steps=8),
            model=checkpoint,
        )
        for i, clip in enumerate(references)
    ]
    result = evaluation.report(
        references, generated={"remix_0.5": remixes}, sources={"remix_0.5": references}
    )
    remix = result["remix_0.5"]
    return {
        "clips": len(references),
        "remix_frechet": remix["frechet"],
        "shuffle_frechet": result["baselines"]["shuffled_0.25s"]["frechet"],
        "beats_shuffle_baseline": remix["beats_shuffle_baseline"],
        "vocoder_spectral_convergence": result["vocoder"].get("spectral_convergence"),
    }


def register_version(job: TrainingJob, folder: Path, evaluation: dict) -> ModelVersion:
    from generator.engine import checkpoints

    checkpoint = checkpoints.load(folder)  # verifies the hash and the architecture's shapes
    modes = [info.name for info in MODE_INFO.values() if info.arch == checkpoint.arch]
    latest = ModelVersion.objects.filter(name=job.name).order_by("-version").first()
    return ModelVersion.objects.create(
        name=job.name,
        version=(latest.version + 1) if latest else 1,
        arch=checkpoint.arch,
        modes=modes,
        weights_path=str(folder),
        config=json_safe(checkpoint.config),
        metrics=json_safe({**checkpoint.config.get("metrics", {}), "evaluation": evaluation}),
        provenance="Trained from the web on: "
        + ", ".join(
            [c.title for c in job.clips.all()] + (["the corpus"] if job.use_corpus else [])
        ),
        state=ModelVersion.State.DRAFT,
        created_by=job.owner,
    )


def run_training_job(job_id: int, worker: str = WORKER_ID) -> str:
    from generator.engine import errors, training

    try:
        job = TrainingJob.objects.get(pk=job_id)
    except TrainingJob.DoesNotExist:
        return "missing"
    if not job.claim(worker, settings.JOB_LEASE_SECONDS):
        return "skipped"
    broadcast(job)
    folder = Path(settings.MEDIA_ROOT) / job.folder
    losses = list(job.losses)

    with Reporter(job, worker) as reporter:

        def progress(stage: str, fraction: float) -> None:
            match = _STEP_LOSS.search(stage)
            if match:
                losses.append([int(match.group(1)), round(float(match.group(2)), 5)])
            reporter.progress(stage, 0.95 * fraction, losses=losses[-2000:])

        try:
            config = training.TrainConfig(
                arch=job.arch,
                steps=job.steps,
                seed=job.seed,
                batch_size=job.batch_size,
                lr=job.learning_rate,
                checkpoint_every=max(10, job.steps // 10),
            )
            training.train(
                config,
                training_data(job),
                folder,
                resume=(folder / training.STATE_JSON).exists(),
                progress=progress,
                cancelled=reporter.cancelled,
            )
            reporter.progress("evaluating the new version", 0.96, losses=losses[-2000:])
            from generator.engine import checkpoints

            evaluation = quick_evaluation(checkpoints.load(folder), job)
            reporter.progress("registering the new version", 0.98, losses=losses[-2000:])
            with transaction.atomic():
                version = register_version(job, folder, evaluation)
                if not job.finish(worker, version):
                    raise errors.Cancelled("the job was taken from this worker")
        except errors.Cancelled:
            if not reporter.lost:
                job.mark_cancelled(worker)
        except (training.TrainingError, FileNotFoundError) as exc:
            job.fail(worker, str(exc))
        except Exception as exc:
            log.exception("training job %s failed", job.uid)
            job.fail(
                worker, f"Training hit an internal error ({type(exc).__name__}); it is logged."
            )
    job.refresh_from_db()
    broadcast(job)
    return job.status
