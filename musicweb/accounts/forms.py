"""Forms for signing up, editing one's profile and deleting one's account."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from musicweb.accounts.models import User


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="Used only to reset your password.")

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class LoginForm(AuthenticationForm):
    """Django's log-in form, telling a deactivated account so instead of "wrong password".

    Django's backend refuses inactive users before the form can say why. Only someone who
    gives the right password learns the account is deactivated, so nothing leaks to guessers.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": "This account is deactivated, so it cannot log in. "
        "Write to the site's staff if you want it back.",
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is not None and not user.is_active and user.check_password(password):
            return forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()


class ProfileForm(forms.ModelForm):
    """One's display name and e-mail, neither of which may pass for someone else's."""

    class Meta:
        model = User
        fields = ("display_name", "email")

    def _others(self):
        return User.objects.exclude(pk=self.instance.pk)

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if name and self._others().filter(username__iexact=name).exists():
            raise forms.ValidationError("That is another person's username: choose another name.")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email and self._others().filter(email__iexact=email).exists():
            raise forms.ValidationError("Another account uses this email address.")
        return email


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Type your password to confirm. This cannot be undone.",
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
