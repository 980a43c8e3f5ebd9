from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "corridor.directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Change history (who, when, what) of every profile, readable by staff.
        from auditlog.registry import auditlog

        from corridor.directory import models as m

        auditlog.register(m.Organisation, exclude_fields=["search_text", "updated_at"])
        auditlog.register(m.Product, exclude_fields=["embedding", "embedded_at", "updated_at"])
        auditlog.register(m.Certification)
        auditlog.register(m.ContactPerson)
        auditlog.register(m.SourcingRequest, exclude_fields=["embedding", "updated_at"])
