from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "corridor.training"
    label = "training"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Private files are also served by core.uploads' one download view, with our rules.
        from corridor.core import uploads
        from corridor.training import permissions
        from corridor.training.models import ClusterMilestone, Module

        uploads.register(Module, "material", can_download=permissions.can_download_material)
        uploads.register(
            ClusterMilestone,
            "evidence_file",
            can_download=lambda user, m: permissions.can_view_milestone_evidence(user, m.cluster),
        )
