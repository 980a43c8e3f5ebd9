"""Forms of the training pages (parsing only: services validate and save)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.training.models import MilestoneKind, Topic

DATE = forms.DateInput(attrs={"type": "date"})


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    funder = forms.CharField(label=_("Funder"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)


class ModuleForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[
            ("en", "English"),
            ("vi", "Tiếng Việt"),
            ("th", "ไทย"),
            ("km", "ខ្មែរ"),
            ("lo", "ລາວ"),
            ("my", "မြန်မာ"),
        ],
    )
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_value=999, decimal_places=1)
    material = forms.FileField(
        label=_("Material (PDF, JPEG or PNG, at most 10 MB)"), required=False
    )


class SessionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online = forms.BooleanField(label=_("Online"), required=False)
    trainers = forms.CharField(label=_("Trainers"), max_length=300, required=False)
    event = forms.ModelChoiceField(label=_("Part of the event"), queryset=None, required=False)

    def __init__(self, *args, **kwargs) -> None:
        from corridor.events.models import Event

        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = Event.objects.order_by("-id")


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question (answered from 1 to 5)"), max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Attendance list (.csv or .xlsx)"))


class MilestoneForm(forms.Form):
    kind = forms.ChoiceField(label=_("Milestone"), choices=MilestoneKind.choices)
    date = forms.DateField(label=_("Date reached"), widget=DATE)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence_file = forms.FileField(label=_("Evidence document (PDF, JPEG or PNG)"), required=False)


def assessment_form(questions) -> type[forms.Form]:
    """A form with one 1–5 choice per question of the module."""
    scale = [(str(i), str(i)) for i in range(1, 6)]
    fields = {
        f"q{q.pk}": forms.TypedChoiceField(
            label=q.text, choices=scale, coerce=int, widget=forms.RadioSelect
        )
        for q in questions
    }
    return type("AssessmentForm", (forms.Form,), fields)
