"""The email choices form: one checkbox per registered kind."""

from __future__ import annotations

from django import forms

from corridor.notifications import kinds


class EmailChoicesForm(forms.Form):
    def __init__(self, *args, choices: list[tuple[kinds.Kind, bool]], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, wanted in choices:
            self.fields[kind.name] = forms.BooleanField(
                label=kind.label, required=False, initial=wanted
            )
