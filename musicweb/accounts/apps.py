from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "musicweb.accounts"
    label = "accounts"
    verbose_name = "Accounts"
