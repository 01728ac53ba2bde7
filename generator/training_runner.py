"""Run one training job inside a worker: the web's path into generator.engine.training.

The same Reporter as generation turns training progress into row updates and
socket messages, with the loss curve kept on the row. The result becomes a
draft ModelVersion; a cancelled run keeps its resumable state for Resume.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction

from generator.live import broadcast
from generator.models import ModelVersion, TrainingJob
from generator.runner import WORKER_ID, Reporter

log = logging.getLogger(__name__)

LOSS_POINTS = 2000  # the most [step, loss] pairs kept on the row for the curve


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
    return ModelVersion.objects.register(
        name=job.name,
        arch=checkpoint.arch,
        config=checkpoint.config,
        weights_path=str(folder),
        metrics={**checkpoint.config.get("metrics", {}), "evaluation": evaluation},
        provenance="Trained from the web on: "
        + ", ".join(
            [c.title for c in job.clips.all()] + (["the corpus"] if job.use_corpus else [])
        ),
        state=ModelVersion.State.DRAFT,
        created_by=job.owner,
    )


def run_training_job(job_id: int, worker: str = WORKER_ID, task_id: str = "") -> str:
    from generator.engine import errors, training

    try:
        job = TrainingJob.objects.get(pk=job_id)
    except TrainingJob.DoesNotExist:
        return "missing"
    if not job.claim(worker, settings.JOB_LEASE_SECONDS, task_id):
        return "skipped"
    broadcast(job)
    folder = Path(settings.MEDIA_ROOT) / job.folder
    losses = list(job.losses)

    with Reporter(job, worker) as reporter:

        def progress(stage: str, fraction: float, *, step=None, loss=None, **fields) -> None:
            if step is not None and loss is not None:
                losses.append([int(step), round(float(loss), 5)])
            reporter.progress(stage, 0.95 * fraction, losses=losses[-LOSS_POINTS:])

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
            reporter.progress("evaluating the new version", 0.96, losses=losses[-LOSS_POINTS:])
            from generator.engine import checkpoints

            evaluation = quick_evaluation(checkpoints.load(folder), job)
            reporter.progress("registering the new version", 0.98, losses=losses[-LOSS_POINTS:])
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
