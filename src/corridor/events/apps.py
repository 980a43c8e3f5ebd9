from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "corridor.events"
    default_auto_field = "django.db.models.BigAutoField"
