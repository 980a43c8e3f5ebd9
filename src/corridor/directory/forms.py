"""Forms of the directory: organisations, products, certifications, sourcing requests, contacts."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts import permissions
from corridor.core.hygiene import CleanTextFormMixin
from corridor.core.uploads import DocumentFormField
from corridor.directory import photos
from corridor.directory.models import (
    Certification,
    ContactPerson,
    Country,
    HSCode,
    Organisation,
    Product,
    ProductPhoto,
    Province,
    SourcingRequest,
)
from corridor.directory.vocab import CertificationKind, OrgKind


class HSCodeField(forms.CharField):
    """An HS code typed as digits ("0902", "0902.30", "090230"), resolved to the HSCode row."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("label", _("HS code"))
        kwargs.setdefault(
            "help_text", _("Type a code or a word (e.g. 0902 or tea) and pick from the list.")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, HSCode):
            return value.code
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        # "0902.30 Green tea" from the datalist: the code is the first word.
        code = value.split()[0].replace(".", "")
        hs = HSCode.objects.filter(pk=code).first()
        if hs is None:
            raise forms.ValidationError(_("Unknown HS code: %(code)s.") % {"code": code})
        return hs


class CountryCodesField(forms.CharField):
    """A list of ISO country codes typed as "TH, VN, JP"."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def clean(self, value):
        value = super().clean(value)
        codes = [c.strip().upper() for c in (value or "").replace(";", ",").split(",") if c.strip()]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise forms.ValidationError(
                _("Use two-letter country codes (e.g. TH, VN): %(bad)s") % {"bad": ", ".join(bad)}
            )
        return list(dict.fromkeys(codes))


class EditConflictMixin(CleanTextFormMixin, forms.ModelForm):
    """Refuses to save over a change someone else made after this form was opened.

    The form carries a fingerprint of the values of its fields as they were when it was shown;
    on save they are read again, and if they differ the edit is refused with the fields kept,
    so nobody silently overwrites a colleague's work. Changes to other data (a product added
    to the profile being edited) do not count.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The values as loaded, before a POST is applied to the instance; fingerprinted once
        # the subclass has settled which fields the form shows.
        self._loaded = self._values(self.instance) if self.instance.pk else None

    def get_initial_for_field(self, field, field_name):
        if field_name == "version" and self._loaded is not None:
            return self._fingerprint(self._loaded)
        return super().get_initial_for_field(field, field_name)

    @staticmethod
    def _values(obj) -> dict[str, str]:
        return {f.name: repr(f.value_from_object(obj)) for f in obj._meta.concrete_fields}

    def _fingerprint(self, values: dict[str, str]) -> str:
        shown = sorted(n for n in self.fields if n in values)
        raw = "\0".join(f"{n}={values[n]}" for n in shown)
        return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.pop("version", "")
        if self.instance.pk and seen:
            current = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
            if current is not None and self._fingerprint(self._values(current)) != seen:
                raise forms.ValidationError(
                    _(
                        "Someone else changed this after you opened it, so your changes were "
                        "not saved. Reload the page to see the current version, then edit again."
                    ),
                    code="edit_conflict",
                )
        return cleaned


class OrganisationForm(EditConflictMixin, forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    is_published = forms.BooleanField(
        label=_("Show a public profile"),
        required=False,
        help_text=_(
            "I agree that the name, products and place of this organisation are shown to "
            "everyone. Contact details stay private."
        ),
    )

    class Meta:
        model = Organisation
        fields = [
            "kind",
            "name",
            "local_name",
            "description",
            "local_description",
            "country",
            "province",
            "address",
            "website",
            "email",
            "phone",
            "founded_year",
            "employees",
            "cluster",
            "product_focus",
            "is_export_consortium",
            "buyer_type",
            "support_type",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "local_description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, creating: bool = False, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["kind"]
            del self.fields["is_published"]
        self.fields["country"].queryset = Country.objects.order_by("name")
        # Choosing a country reloads the province list (htmx); without JS the server filters.
        self.fields["country"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("directory:province_options"),
                "hx-target": "#id_province",
                "hx-trigger": "change",
            }
        )
        country = self.data.get("country") or getattr(self.instance, "country_id", None)
        provinces = Province.objects.filter(is_current=True).select_related("country")
        if country:
            provinces = provinces.filter(country_id=country)
        self.fields["province"].queryset = provinces
        clusters = Organisation.objects.filter(kind=OrgKind.CLUSTER, merged_into__isnull=True)
        if not permissions.is_staff(user):
            # Only a cluster's coordinator puts organisations into it; others ask to join on
            # the cluster's page (directory.cluster_join).
            # The current cluster stays a choice, so that a member can keep it or leave it.
            clusters = clusters.filter(
                Q(pk__in=permissions.member_org_ids(user)) | Q(pk=self.instance.cluster_id)
            )
        self.fields["cluster"].queryset = clusters.order_by("name")
        if (self.instance.pk and self.instance.kind == OrgKind.CLUSTER) or not clusters.exists():
            del self.fields["cluster"]


def _plain(value: Decimal) -> str:
    """900.000 -> "900", 12.50 -> "12.5": a stored decimal without the zeros of its column,
    which a reader of "900.000" in Vietnam or Indonesia takes for nine hundred thousand."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class PlainDecimalsMixin(forms.ModelForm):
    """Shows stored decimals without trailing zeros in the form's inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            value = self.initial.get(name)
            if isinstance(field, forms.DecimalField) and isinstance(value, Decimal):
                self.initial[name] = _plain(value)


class ProductForm(PlainDecimalsMixin, EditConflictMixin, forms.ModelForm):
    hs_code = HSCodeField()
    markets = CountryCodesField(
        label=_("Current export markets"),
        required=False,
        help_text=_("Two-letter country codes, e.g. TH, CN, JP."),
    )

    class Meta:
        model = Product
        fields = [
            "name",
            "local_name",
            "description",
            "hs_code",
            "capacity_amount",
            "capacity_unit",
            "capacity_period",
            "min_order_amount",
            "min_order_unit",
            "price_min",
            "price_max",
            "currency",
            "price_unit",
            "markets",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    photo = forms.ImageField(
        label=_("Add a photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP. It is shrunk and its location data removed."),
    )
    remove_photos = forms.ModelMultipleChoiceField(
        label=_("Remove photos"),
        queryset=ProductPhoto.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hs_code"].widget.attrs.update({"list": "hs-options", "autocomplete": "off"})
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"
        if self.instance.pk and self.instance.photos.exists():
            self.fields["remove_photos"].queryset = self.instance.photos.all()
            self.fields["remove_photos"].label_from_instance = lambda photo: (
                photo.caption or (_("photo %(n)s") % {"n": photo.pk})
            )
        else:
            del self.fields["remove_photos"]

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            # On the field, before the database constraint would answer with its raw name.
            self.add_error("price_max", _("The highest price must not be below the lowest."))
        return data

    def clean_photo(self):
        # The limit per product is the service's to check, after the removals it is given.
        upload = self.cleaned_data.get("photo")
        return photos.prepare(upload) if upload else upload


class CertificationForm(EditConflictMixin, forms.ModelForm):
    document = DocumentFormField(label=_("Document"), required=False)

    class Meta:
        model = Certification
        fields = ["kind", "product", "issuer", "number", "valid_until", "document"]
        widgets = {"valid_until": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = organisation.products.order_by("name")


class SourcingRequestForm(PlainDecimalsMixin, EditConflictMixin, forms.ModelForm):
    hs_code = HSCodeField()
    required_certifications = forms.MultipleChoiceField(
        label=_("Required certifications"),
        choices=CertificationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_countries = CountryCodesField(
        label=_("Preferred supplier countries"),
        required=False,
        help_text=_("Two-letter country codes, e.g. KH, LA, VN."),
    )

    class Meta:
        model = SourcingRequest
        fields = [
            "title",
            "description",
            "hs_code",
            "quantity_amount",
            "quantity_unit",
            "frequency",
            "target_price",
            "currency",
            "required_certifications",
            "destination",
            "preferred_countries",
            "deadline",
            "status",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hs_code"].widget.attrs.update({"list": "hs-options", "autocomplete": "off"})
        for name in ("target_price", "quantity_amount"):
            self.fields[name].widget.attrs["min"] = "0"
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean_target_price(self):
        price = self.cleaned_data.get("target_price")
        if price is not None and price <= 0:
            raise forms.ValidationError(_("A target price is more than zero."))
        return price

    def clean_quantity_amount(self):
        amount = self.cleaned_data.get("quantity_amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("A quantity is more than zero."))
        return amount

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        # A past deadline may stay on a request being edited, but none is set anew.
        unchanged = self.instance.pk and deadline == self.instance.deadline
        if deadline and deadline < timezone.localdate() and not unchanged:
            raise forms.ValidationError(_("The deadline is in the past."))
        return deadline


class ContactPersonForm(EditConflictMixin, forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "position", "email", "phone", "languages", "is_primary"]
