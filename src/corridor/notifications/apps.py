from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "corridor.notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.notifications import kinds

        kinds.register("notifications.welcome", label=_("Welcome and news"), email_default=False)
