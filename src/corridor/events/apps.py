from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "corridor.events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.events import messages

        messages.register_kinds()
