from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "corridor.directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Change history (who, when, what) of every profile, readable by staff.
        from auditlog.registry import auditlog

        from corridor.directory import models as m

        auditlog.register(m.Organisation, exclude_fields=["search_text", "updated_at"])
        auditlog.register(
            m.Product, exclude_fields=["embedding", "embedded_at", "hs_guess", "updated_at"]
        )
        auditlog.register(m.Certification)
        auditlog.register(m.ContactPerson)
        auditlog.register(m.SourcingRequest, exclude_fields=["embedding", "updated_at"])

        from corridor.notifications import kinds

        kinds.register("directory.claim_decided", label=_("Decisions on my profile claims"))

        # Certificate documents are private files: who may see the organisation's contact
        # details (staff, its own people, accepted connections) may download them.
        from corridor.accounts import permissions
        from corridor.core import uploads

        uploads.register(
            m.Certification,
            "document",
            can_download=lambda user, cert: permissions.can_see_contacts(user, cert.organisation),
        )
