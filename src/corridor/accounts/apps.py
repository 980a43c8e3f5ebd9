from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "corridor.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.notifications import kinds

        # Sent to an address, often without an account yet: not something to switch off.
        kinds.register("accounts.invitation", label=_("Invitations"), opt_out=False)
        kinds.register("accounts.password_reset", label=_("Password resets"), opt_out=False)
