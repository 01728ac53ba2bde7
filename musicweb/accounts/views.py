"""Sign up, profile and account deletion; log in/out and passwords use Django's own views."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from musicweb.accounts.forms import DeleteAccountForm, LoginForm, ProfileForm, SignupForm


class LoginView(auth_views.LoginView):
    """Django's log-in; repeated failures are refused by django-axes (see throttle.py)."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_redirect_url(self) -> str:
        # A link back to this very page would send a signed-in visitor round in a loop.
        url = super().get_redirect_url()
        return "" if url and urlsplit(url).path == self.request.path else url


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("library:list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to musicweb! Upload a clip to get started.")
        return redirect("library:list")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/profile.html", {"form": form, "token": token})


@login_required
@require_POST
def revoke_token(request):
    if request.user.revoke_api_tokens():
        messages.success(request, "Your API token is revoked: programs using it are signed out.")
    return redirect("profile")


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    """Delete the account; its clips (and their files) go with it through cascades."""
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        user.delete()
        messages.success(request, "Your account and all of your files are deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})
