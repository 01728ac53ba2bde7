"""Sign up, profile and account deletion; log in/out and passwords use Django's own views."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from musicweb.accounts import throttle
from musicweb.accounts.forms import DeleteAccountForm, LoginForm, ProfileForm, SignupForm


class LoginView(auth_views.LoginView):
    """Django's log-in, refusing further tries for a while after repeated failures."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if throttle.is_locked(request, username):
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None, f"Too many failed log-ins. Please wait {minutes} minutes and try again."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        throttle.record_failure(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle.reset(self.request, form.get_user().get_username())
        return super().form_valid(form)


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
    return render(request, "accounts/profile.html", {"form": form})


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
