"""Forms of the directory: organisations, products, certifications, sourcing requests, contacts."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from corridor.directory.models import (
    Certification,
    ContactPerson,
    Country,
    HSCode,
    Organisation,
    Product,
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


class OrganisationForm(forms.ModelForm):
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

    def __init__(self, *args, creating: bool = False, **kwargs):
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
        self.fields["cluster"].queryset = Organisation.objects.filter(
            kind=OrgKind.CLUSTER, merged_into__isnull=True
        ).order_by("name")
        if self.instance.pk and self.instance.kind == OrgKind.CLUSTER:
            del self.fields["cluster"]


class ProductForm(forms.ModelForm):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hs_code"].widget.attrs.update({"list": "hs-options", "autocomplete": "off"})


class CertificationForm(forms.ModelForm):
    class Meta:
        model = Certification
        fields = ["kind", "product", "issuer", "number", "valid_until", "document"]
        widgets = {"valid_until": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = organisation.products.order_by("name")


class SourcingRequestForm(forms.ModelForm):
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


class ContactPersonForm(forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "position", "email", "phone", "languages", "is_primary"]
