from django.apps import AppConfig
from django.db.models.signals import post_migrate


def create_cache_table(sender, using="default", verbosity=1, **kwargs) -> None:
    """Create the database cache's table after `migrate` (tests, `make demo`, deployments).

    createcachetable is idempotent and does nothing when the cache is not a database cache.
    """
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))


class CoreConfig(AppConfig):
    name = "corridor.core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.apps import apps

        # post_migrate is sent once per app with models; core has none, contenttypes always does.
        post_migrate.connect(
            create_cache_table,
            sender=apps.get_app_config("contenttypes"),
            dispatch_uid="corridor-cache-table",
        )
