from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "corridor.matching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.notifications import kinds

        # The digest keeps its own switch (account page) and unsubscribe link.
        kinds.register("matching.digest", label=_("Match digest"), opt_out=False)
