from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StartConfig(AppConfig):
    name = "corridor.start"
    verbose_name = _("Start page")

    def ready(self) -> None:
        # Every app may add cards in its own `cards.py` (see corridor.start.registry).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("cards")
