"""Forms of matching: the filters of a request's supplier list."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.directory.models import Country
from corridor.directory.vocab import CertificationKind
from corridor.matching.selectors import SupplierFilters


class SupplierFilterForm(forms.Form):
    country = forms.ModelChoiceField(
        queryset=Country.objects.all(),
        required=False,
        label=_("Country"),
        empty_label=_("All countries"),
        to_field_name="code",
    )
    certification = forms.ChoiceField(
        choices=[("", _("Any certification")), *CertificationKind.choices],
        required=False,
        label=_("Certification"),
    )
    min_score = forms.IntegerField(
        min_value=0, max_value=100, required=False, label=_("Minimum score (%)")
    )
    only_passing = forms.BooleanField(
        required=False, label=_("Only suppliers meeting all requirements")
    )

    def __init__(self, *args, countries: Iterable[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if countries is not None:
            # Only the countries that have suppliers: a handful of options instead of 249 that
            # mostly give an empty list (and rendering 249 options took ~10 ms a page).
            self.fields["country"].queryset = Country.objects.filter(code__in=sorted(countries))

    def filters(self) -> SupplierFilters:
        """The filters to apply (none when the form is invalid)."""
        if not self.is_valid():
            return SupplierFilters()
        data = self.cleaned_data
        return SupplierFilters(
            country=data["country"].code if data["country"] else "",
            certification=data["certification"] or "",
            min_score=(data["min_score"] or 0) / 100,
            only_passing=bool(data["only_passing"]),
        )
