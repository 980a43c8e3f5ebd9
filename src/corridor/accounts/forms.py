"""Forms of the accounts app: sign-up, invitations, tokens, account deletion."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm, UsernameField
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Membership, User
from corridor.core.hygiene import CleanTextFormMixin
from corridor.directory.models import Country, Organisation
from corridor.directory.vocab import OrgKind


class AccountFieldsMixin(CleanTextFormMixin, forms.Form):
    username = UsernameField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class SignupForm(AccountFieldsMixin):
    email = forms.EmailField(label=_("Email"))
    org_name = forms.CharField(
        label=_("Organisation name"),
        max_length=200,
        required=False,
        help_text=_("Optional: register the enterprise or organisation you own."),
    )
    org_kind = forms.ChoiceField(
        label=_("Type of organisation"), choices=OrgKind.choices, required=False
    )
    org_country = forms.ModelChoiceField(
        label=_("Country"), queryset=Country.objects.all(), required=False
    )
    org_publish = forms.BooleanField(
        label=_("Show my organisation's profile publicly"),
        required=False,
        help_text=_(
            "Your profile stays private until you agree. Contact details are only ever shown "
            "to organisations you accept to connect with."
        ),
    )

    field_order = ["username", "email", "full_name", "password1", "password2"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        return email

    def clean(self) -> dict:
        data = super().clean()
        if data.get("org_name"):
            if not data.get("org_kind"):
                self.add_error("org_kind", _("Choose the type of organisation."))
            if not data.get("org_country"):
                self.add_error("org_country", _("Choose the country."))
        return data

    def organisation(self) -> dict | None:
        d = self.cleaned_data
        if not d.get("org_name"):
            return None
        return {
            "name": d["org_name"],
            "kind": d["org_kind"],
            "country": d["org_country"],
            "publish": d["org_publish"],
        }


class InvitationAcceptForm(AccountFieldsMixin):
    """A new person accepting an invitation: the email comes from the invitation."""


class InvitationForm(CleanTextFormMixin, forms.Form):
    email = forms.EmailField(label=_("Email"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.filter(merged_into__isnull=True),
        required=False,
        to_field_name="slug",
        widget=forms.TextInput(attrs={"placeholder": _("profile address (slug)")}),
        help_text=_("The profile's short name as in its address, e.g. bat-trang-ceramics."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, required=False)
    make_staff = forms.BooleanField(label=_("Programme staff"), required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("organisation") and not data.get("make_staff"):
            raise forms.ValidationError(
                _("Invite for an organisation, as programme staff, or both.")
            )
        data["role"] = data.get("role") or Membership.Role.OWNER
        return data


class TokenForm(CleanTextFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What will use it, e.g. 'ERP sync'.")
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password


# The zones of the five countries (Myanmar is UTC+06:30, the others UTC+07:00).
TIME_ZONES = [
    ("", _("My organisation's country")),
    ("Asia/Bangkok", _("Thailand (UTC+07:00)")),
    ("Asia/Ho_Chi_Minh", _("Viet Nam (UTC+07:00)")),
    ("Asia/Phnom_Penh", _("Cambodia (UTC+07:00)")),
    ("Asia/Vientiane", _("Laos (UTC+07:00)")),
    ("Asia/Yangon", _("Myanmar (UTC+06:30)")),
]


class ProfileForm(CleanTextFormMixin, forms.Form):
    """What a person sets about themselves: name, phone, language, and the zone times show in."""

    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language of emails"), required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONES,
        required=False,
        help_text=_("Meeting times are also shown in this zone when an event is in another."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        self.fields["language"].choices = [("", _("The site's default")), *settings.LANGUAGES]


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the email queued (notifications) rather than sent inside the
    request: a slow or failing mail server neither delays the page nor turns it into a 500."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        import hashlib

        from corridor.notifications.services import notify_address

        user = context["user"]
        # The key names the reset link without holding it (the body is cleared once sent).
        digest = hashlib.sha256(context["token"].encode()).hexdigest()[:24]
        notify_address(
            email=to_email,
            language=user.language or translation.get_language(),
            kind="accounts.password_reset",
            key=f"accounts.password_reset:{user.pk}:{digest}",
            subject=_("Reset your Corridor password"),
            body_template=email_template_name,
            context=context,
        )
