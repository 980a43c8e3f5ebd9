from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "corridor.connections"
    default_auto_field = "django.db.models.BigAutoField"
