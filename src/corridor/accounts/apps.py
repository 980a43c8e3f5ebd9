from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "corridor.accounts"
    default_auto_field = "django.db.models.BigAutoField"
