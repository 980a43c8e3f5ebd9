from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectionsConfig(AppConfig):
    name = "corridor.connections"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.notifications import kinds

        kinds.register("connections.requested", label=_("Connection requests to my organisations"))
        kinds.register("connections.accepted", label=_("Answers to my connection requests"))
