from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from musicweb.accounts.models import User


@admin.register(User)
class MusicwebUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("musicweb", {"fields": ("display_name", "quota_mb")}),)
    list_display = ("username", "email", "display_name", "is_active", "is_staff", "date_joined")
