"""Forms of the reporting app: a bottleneck report (light enough for a phone on a slow link),
a status change, and an assignment."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.core.hygiene import CleanTextFormMixin
from corridor.directory.forms import HSCodeField
from corridor.directory.models import BorderCrossing, EconomicCorridor, Organisation, Province
from corridor.directory.vocab import Currency, OrgKind
from corridor.reporting.models import Category, Status

REGION = ("KH", "LA", "MM", "TH", "VN")


class ReportForm(CleanTextFormMixin, forms.Form):
    category = forms.ChoiceField(
        label=_("What kind of problem?"), choices=Category.choices, widget=forms.RadioSelect
    )
    crossing = forms.ModelChoiceField(
        label=_("Border crossing"),
        queryset=BorderCrossing.objects.order_by("name"),
        required=False,
        empty_label=_("— not at a border crossing —"),
    )
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.filter(is_current=True, country_id__in=REGION).select_related(
            "country"
        ),
        required=False,
    )
    corridor = forms.ModelChoiceField(
        label=_("Economic corridor"), queryset=EconomicCorridor.objects.all(), required=False
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only you, your organisation, the focal point and staff read this."),
    )
    hs_code = HSCodeField(label=_("Product (HS code)"))
    occurred_on = forms.DateField(
        label=_("When did it happen?"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    delay_days = forms.IntegerField(
        label=_("Delay (days)"), min_value=0, max_value=3650, required=False
    )
    cost_amount = forms.DecimalField(
        label=_("Cost incurred"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    cost_currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="USD")
    organisation = forms.ModelChoiceField(
        label=_("Report for"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("myself"),
    )
    on_behalf = forms.BooleanField(
        label=_("For one of our member SMEs, without naming it"),
        required=False,
        help_text=_("Associations and clusters: the report is filed under your name."),
    )

    def __init__(self, *args, orgs: list[Organisation], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from django.apps import apps

        if apps.is_installed("corridor.reporting.timeline") and orgs:
            from django.db.models import Q

            from corridor.followup.models import Order

            ids = [o.pk for o in orgs]
            self.fields["order"] = forms.ModelChoiceField(
                label=_("The order it hit (optional)"),
                queryset=Order.objects.filter(Q(supplier_id__in=ids) | Q(buyer_id__in=ids))
                .select_related("supplier", "buyer")
                .order_by("-ordered_on"),
                required=False,
            )
        self.fields["organisation"].queryset = Organisation.objects.filter(
            id__in=[o.pk for o in orgs]
        )
        if len(orgs) == 1:
            self.fields["organisation"].initial = orgs[0].pk
        if not any(o.kind in (OrgKind.SUPPORT, OrgKind.CLUSTER) for o in orgs):
            del self.fields["on_behalf"]
        self.fields["hs_code"].widget.attrs.update({"list": "hs-options", "autocomplete": "off"})

    def clean_occurred_on(self) -> datetime.date:
        value = self.cleaned_data["occurred_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."))
        return value

    def clean(self):
        data = super().clean()
        if not (data.get("crossing") or data.get("province") or data.get("corridor")):
            raise forms.ValidationError(
                _("Say where: a border crossing, a province or a corridor.")
            )
        return data


class StatusForm(CleanTextFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    public_note = forms.CharField(
        label=_("Public note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the public page. Do not name the reporter or the SME."),
    )

    def __init__(self, *args, report, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, Status(s).label) for s in report.allowed_next]
        self.fields["public_note"].initial = report.public_note


class AssignForm(CleanTextFormMixin, forms.Form):
    focal_point = forms.ModelChoiceField(
        label=_("Focal point"), queryset=Organisation.objects.filter(kind=OrgKind.SUPPORT)
    )
    deadline = forms.DateField(
        label=_("Answer due by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Default: in 14 days."),
    )


class AnalysisFilters(CleanTextFormMixin, forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("all"))] + Category.choices, required=False
    )
    corridor = forms.ModelChoiceField(
        label=_("Corridor"), queryset=EconomicCorridor.objects.all(), required=False
    )
