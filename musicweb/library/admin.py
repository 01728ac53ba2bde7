from django.contrib import admin

from musicweb.library.models import Clip


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "duration", "format", "created")
    list_filter = ("format",)
    search_fields = ("title", "original_name", "tags", "owner__username")
    readonly_fields = ("uid", "original", "analysis", "spectrogram", "peaks", "stored_bytes")
