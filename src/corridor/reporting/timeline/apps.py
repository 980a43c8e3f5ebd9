from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "corridor.reporting.timeline"
    label = "timeline"
    verbose_name = "Order timelines"
    default_auto_field = "django.db.models.BigAutoField"
