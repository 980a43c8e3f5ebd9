from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "corridor.followup"
    default_auto_field = "django.db.models.BigAutoField"
