from django.apps import AppConfig, apps


class ReportingConfig(AppConfig):
    name = "corridor.reporting"
    verbose_name = "Reporting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if apps.is_installed("corridor.notifications"):
            from corridor.reporting.messages import register_kinds

            register_kinds()
