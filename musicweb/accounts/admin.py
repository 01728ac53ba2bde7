"""The user admin: search, deactivate, make staff, quotas; deleting a user removes their files."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from musicweb.accounts.models import User


@admin.register(User)
class MusicwebUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("musicweb", {"fields": ("display_name", "quota_mb")}),)
    list_display = (
        "username",
        "email",
        "display_name",
        "is_active",
        "is_staff",
        "quota_mb",
        "date_joined",
    )
    search_fields = ("username", "email", "display_name")
    actions = ["deactivate", "reactivate", "make_staff"]

    def _update(self, request, queryset, message: str, **fields) -> None:
        for user in queryset:
            for name, value in fields.items():
                setattr(user, name, value)
            user.save(update_fields=list(fields))
            self.log_change(request, user, message)
        messages.success(request, f"{message} ({queryset.count()} user(s)).")

    @admin.action(description="Deactivate the selected users")
    def deactivate(self, request, queryset):
        self._update(request, queryset.exclude(pk=request.user.pk), "Deactivated", is_active=False)

    @admin.action(description="Reactivate the selected users")
    def reactivate(self, request, queryset):
        self._update(request, queryset, "Reactivated", is_active=True)

    @admin.action(description="Make the selected users staff")
    def make_staff(self, request, queryset):
        self._update(request, queryset, "Made staff", is_staff=True)
