"""The Django admin for jobs and model versions: filters, and actions that are logged."""

from __future__ import annotations

from django.contrib import admin, messages

from generator.models import GenerationJob, ModelVersion, ModelVersionError, TrainingJob


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "arch",
        "state",
        "modes",
        "default_for",
        "created_by",
        "created",
    )
    list_filter = ("state", "arch")
    search_fields = ("name",)
    readonly_fields = ("weights_path", "config", "metrics", "created_by", "created")
    actions = ["activate", "retire"]

    @admin.action(description="Activate the selected versions")
    def activate(self, request, queryset):
        for version in queryset:
            version.activate()
            self.log_change(request, version, "Activated.")
        messages.success(request, f"Activated {queryset.count()} version(s).")

    @admin.action(description="Retire the selected versions (not defaults)")
    def retire(self, request, queryset):
        retired = 0
        for version in queryset:
            try:
                version.retire()
            except ModelVersionError as exc:
                messages.error(request, str(exc))
                continue
            self.log_change(request, version, "Retired.")
            retired += 1
        if retired:
            messages.success(request, f"Retired {retired} version(s).")


class JobAdmin(admin.ModelAdmin):
    list_filter = ("status",)
    date_hierarchy = "created"
    actions = ["cancel_jobs", "retry_jobs"]

    def has_add_permission(self, request) -> bool:
        return False  # jobs are made through the site, where they are validated

    @admin.action(description="Cancel the selected jobs")
    def cancel_jobs(self, request, queryset):
        cancelled = 0
        for job in queryset:
            if job.cancel():
                self.log_change(request, job, "Cancelled from the admin.")
                cancelled += 1
        messages.success(request, f"Cancelled {cancelled} job(s).")


@admin.register(GenerationJob)
class GenerationJobAdmin(JobAdmin):
    list_display = (
        "title",
        "owner",
        "mode",
        "model_version",
        "status",
        "progress",
        "created",
        "worker",
    )
    search_fields = ("title", "owner__username", "uid")
    list_select_related = ("owner", "model_version")
    readonly_fields = [f.name for f in GenerationJob._meta.fields]

    @admin.action(description="Retry the selected failed or cancelled jobs (same recipe and seed)")
    def retry_jobs(self, request, queryset):
        from generator.jobs import JobRefused, resubmit

        for job in queryset.filter(
            status__in=(GenerationJob.Status.FAILED, GenerationJob.Status.CANCELLED)
        ):
            try:
                again = resubmit(job)
            except JobRefused as exc:
                messages.error(request, f"{job}: {exc}")
            else:
                self.log_change(request, job, f"Retried as {again.uid}.")


@admin.register(TrainingJob)
class TrainingJobAdmin(JobAdmin):
    list_display = ("name", "arch", "owner", "status", "progress", "steps", "created", "result")
    search_fields = ("name", "owner__username")
    readonly_fields = [f.name for f in TrainingJob._meta.fields]

    @admin.action(description="Retry is done from the training page (Resume)")
    def retry_jobs(self, request, queryset):
        messages.info(request, "Open a training job's page and press Resume to continue it.")
