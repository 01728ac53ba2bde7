"""Forms for signing up, editing one's profile and deleting one's account."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

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
