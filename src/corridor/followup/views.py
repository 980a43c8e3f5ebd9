"""Pages of follow-up: my leads, a lead, the survey behind a personal link, staff's queues
(non-responders, disagreements, sending rounds) and the impact dashboard."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from corridor.accounts import permissions
from corridor.core import charts, links
from corridor.core.hygiene import CleanTextFormMixin
from corridor.directory.models import Country, Organisation, Province, SourcingRequest
from corridor.directory.vocab import Currency, Unit
from corridor.events.models import Event
from corridor.followup import exports, selectors, services
from corridor.followup.models import (
    STAGES_BY_KIND,
    DropReason,
    FollowUpPlan,
    Lead,
    SendRun,
    Stage,
    SurveyInvitation,
)


def _page(request: HttpRequest, qs):
    return Paginator(qs, 25).get_page(request.GET.get("page"))


def _require(allowed: bool) -> None:
    if not allowed:
        raise Http404


class AnswerForm(CleanTextFormMixin, forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("Where does it stand?"), widget=forms.RadioSelect)
    drop_reason = forms.ChoiceField(
        label=gettext_lazy("If it stopped, why?"),
        choices=[("", "—"), *DropReason.choices],
        required=False,
    )
    order_value = forms.DecimalField(
        label=gettext_lazy("Value of orders so far (optional)"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )
    currency = forms.ChoiceField(choices=Currency.choices, initial="USD", required=False)
    comment = forms.CharField(
        label=gettext_lazy("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lead: Lead, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stages = [*STAGES_BY_KIND[lead.kind], Stage.DROPPED]
        self.fields["stage"].choices = [(s, Stage(s).label) for s in stages]

    def clean(self):
        data = super().clean()
        if data.get("stage") == Stage.DROPPED and not data.get("drop_reason"):
            self.add_error("drop_reason", _("Say why it stopped."))
        if data.get("stage") != Stage.DROPPED:
            data["drop_reason"] = ""
        return data


def _answer(request: HttpRequest, invitation: SurveyInvitation, form: AnswerForm, *, by=None):
    d = form.cleaned_data
    return services.survey_answer(
        invitation=invitation,
        stage=d["stage"],
        drop_reason=d["drop_reason"],
        order_value=d.get("order_value"),
        currency=d.get("currency") or "USD",
        comment=d.get("comment", ""),
        entered_by=by,
    )


def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The no-login survey of one side of one lead, opened from the personal link."""
    try:
        link = links.link_open(
            raw=token,
            purpose=services.SURVEY_PURPOSE,
            model=SurveyInvitation,
            count=request.method == "GET",
        )
    except links.LinkInvalid as exc:
        status = 410 if exc.reason in ("expired", "closed") else 404
        return render(
            request, "followup/survey_invalid.html", {"message": exc.message}, status=status
        )
    invitation = get_object_or_404(
        SurveyInvitation.objects.select_related("lead__supplier", "lead__buyer"),
        pk=link.object_id,
    )
    lead = invitation.lead
    other = lead.buyer if invitation.side == "supplier" else lead.supplier
    form = AnswerForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        try:
            _answer(request, invitation, form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "followup/survey_done.html", {"other": other})
    response = render(
        request,
        "followup/survey.html",
        {"form": form, "lead": lead, "other": other, "invitation": invitation},
    )
    # The token is in the address: no shared cache keeps the page. (The site's referrer policy,
    # same-origin, already keeps it from other sites; "no-referrer" would make browsers send
    # "Origin: null" and fail the CSRF check of the answer.)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    if permissions.is_programme_viewer(request.user) and not permissions.is_staff(request.user):
        return redirect("followup:dashboard")
    stage = request.GET.get("stage", "")
    qs = selectors.leads_for(request.user, stage=stage if stage in Stage.values else "")
    return render(
        request,
        "followup/lead_list.html",
        {"page": _page(request, qs), "stage": stage, "stages": Stage.choices},
    )


class StageForm(CleanTextFormMixin, forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("Stage"))
    drop_reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), choices=[("", "—"), *DropReason.choices], required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args, lead: Lead, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [
            (s, Stage(s).label) for s in [*STAGES_BY_KIND[lead.kind], Stage.DROPPED]
        ]


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    _require(permissions.can_view_lead(request.user, lead))
    lead = selectors.lead_detail(pk)
    form = StageForm(request.POST or None, lead=lead, initial={"stage": lead.stage})
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_set_stage(
                lead=lead,
                stage=form.cleaned_data["stage"],
                drop_reason=form.cleaned_data["drop_reason"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The lead was updated."))
            return redirect("followup:lead", pk=lead.pk)
    return render(
        request,
        "followup/lead_detail.html",
        {
            "lead": lead,
            "form": form,
            "order_form": OrderForm(initial={"currency": "USD"}),
            "may_add_order": lead.kind == "trade"
            and (
                permissions.is_staff(request.user)
                or permissions.can_act_for_org(request.user, lead.supplier)
            ),
        },
    )


class OrderForm(CleanTextFormMixin, forms.Form):
    ordered_on = forms.DateField(
        label=gettext_lazy("Order date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    value = forms.DecimalField(
        label=gettext_lazy("Value"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    volume = forms.DecimalField(
        label=gettext_lazy("Volume"), required=False, min_value=0, max_digits=16, decimal_places=3
    )
    unit = forms.ChoiceField(
        label=gettext_lazy("Unit"), choices=[("", "—"), *Unit.choices], required=False
    )


@login_required
@require_POST
def order_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The supplier (or staff) records an order of a trade lead."""
    lead = get_object_or_404(Lead.objects.select_related("supplier", "buyer"), pk=pk)
    _require(permissions.can_view_lead(request.user, lead))
    form = OrderForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("followup:lead", pk=lead.pk)
    d = form.cleaned_data
    try:
        services.order_create(
            by=request.user,
            supplier=lead.supplier,
            buyer=lead.buyer,
            lead=lead,
            ordered_on=d["ordered_on"],
            value=d["value"],
            currency=d["currency"],
            volume=d["volume"],
            unit=d["unit"] or "",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The order was recorded."))
    return redirect("followup:lead", pk=lead.pk)


class RateForm(CleanTextFormMixin, forms.Form):
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    usd_per_unit = forms.DecimalField(
        label=gettext_lazy("US dollars per unit"), max_digits=20, decimal_places=10
    )
    note = forms.CharField(label=gettext_lazy("Source"), required=False, max_length=200)


@login_required
def rates(request: HttpRequest) -> HttpResponse:
    """Staff keep the dated exchange-rate table used for every sum in US dollars."""
    _require(permissions.can_manage_rates(request.user))
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rate_set(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The rate was saved."))
            return redirect("followup:rates")
    return render(
        request,
        "followup/rates.html",
        {"form": form, "page": _page(request, selectors.rates())},
    )


@login_required
@require_POST
def request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """A supplier answers a buyer's sourcing request ("we can supply this"): a lead starts."""
    req = get_object_or_404(SourcingRequest.objects.select_related("buyer", "hs_code"), pk=pk)
    _require(permissions.can_view_request(request.user, req))
    supplier = get_object_or_404(Organisation, pk=request.POST.get("supplier") or 0)
    if supplier.kind not in ("sme", "cluster"):
        messages.error(request, _("Only an SME or a cluster can answer a sourcing request."))
        return redirect("followup:leads")
    try:
        lead, _created = services.lead_from_request_answer(
            request=req, supplier=supplier, by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("followup:leads")
    messages.success(request, _("Your answer was recorded: follow it here."))
    return redirect("followup:lead", pk=lead.pk)


# --- Staff: non-responders, phone answers, copyable links, disagreements, rounds -----------


@login_required
def non_responders(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_followup(request.user))
    return render(
        request,
        "followup/non_responders.html",
        {"page": _page(request, selectors.non_responders())},
    )


@login_required
def phone_answer(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_followup(request.user))
    invitation = get_object_or_404(
        SurveyInvitation.objects.select_related("lead__supplier", "lead__buyer"), pk=pk
    )
    form = AnswerForm(request.POST or None, lead=invitation.lead)
    if request.method == "POST" and form.is_valid():
        try:
            _answer(request, invitation, form, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The answer was recorded."))
            return redirect("followup:non_responders")
    return render(
        request,
        "followup/phone_answer.html",
        {"form": form, "invitation": invitation, "lead": invitation.lead},
    )


@login_required
@require_POST
def copy_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A fresh personal link for staff to paste into a messaging app (shown this once)."""
    _require(permissions.can_manage_followup(request.user))
    invitation = get_object_or_404(SurveyInvitation, pk=pk, answered_at__isnull=True)
    raw, _link = links.link_issue(
        purpose=services.SURVEY_PURPOSE,
        target=invitation,
        valid_for=max(invitation.expires_at - timezone.now(), datetime.timedelta(days=7)),
    )
    url = request.build_absolute_uri(reverse("followup:survey", args=[raw]))
    return render(request, "followup/_copy_link.html", {"url": url})


class SettleForm(CleanTextFormMixin, forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    drop_reason = forms.ChoiceField(choices=[("", "—"), *DropReason.choices], required=False)
    note = forms.CharField(required=False, max_length=300)


@login_required
def conflicts(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_followup(request.user))
    if request.method == "POST":
        lead = get_object_or_404(Lead, pk=request.POST.get("lead"))
        form = SettleForm(request.POST)
        if form.is_valid():
            try:
                services.conflict_settle(
                    lead=lead,
                    by=request.user,
                    stage=form.cleaned_data["stage"],
                    drop_reason=form.cleaned_data["drop_reason"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Settled."))
        else:
            messages.error(request, _("Choose a stage."))
        return redirect("followup:conflicts")
    return render(
        request,
        "followup/conflicts.html",
        {"page": _page(request, selectors.conflicts()), "drop_reasons": DropReason.choices},
    )


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_followup(request.user))
    if request.method == "POST":
        from corridor.followup.tasks import send_followups_task

        run = SendRun.objects.create(trigger="staff", started_by=request.user)
        send_followups_task(run.pk)
        return redirect("followup:run", pk=run.pk)
    return render(request, "followup/runs.html", {"page": _page(request, SendRun.objects.all())})


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A sending round with its progress bar (htmx polls the fragment while it runs)."""
    _require(permissions.can_manage_followup(request.user))
    run = get_object_or_404(SendRun, pk=pk)
    template = "followup/_run_progress.html" if request.htmx else "followup/run.html"
    log = run.messages.select_related("invitation__lead__supplier", "invitation__lead__buyer")[:200]
    return render(request, template, {"run": run, "log": log})


# --- Staff: follow-up plans ---------------------------------------------------------------


class PlanForm(CleanTextFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    event = forms.ModelChoiceField(
        label=gettext_lazy("Event"),
        queryset=Event.objects.order_by("-id"),
        required=False,
        empty_label=gettext_lazy("The whole programme (every lead not covered by an event plan)"),
    )
    steps = forms.CharField(
        label=gettext_lazy("Steps: months after first contact"),
        help_text=gettext_lazy(
            "In increasing order, separated by commas, for example 0, 1, 3, 6, 12."
        ),
        max_length=100,
    )
    reminder_after_days = forms.IntegerField(
        label=gettext_lazy("Remind after (days without an answer)"),
        min_value=1,
        max_value=services.MAX_REMINDER_DAYS,
        initial=5,
    )
    link_valid_days = forms.IntegerField(
        label=gettext_lazy("Links valid for (days)"),
        min_value=1,
        max_value=services.MAX_LINK_DAYS,
        initial=30,
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def clean_steps(self) -> list[int]:
        raw = self.cleaned_data["steps"].replace(";", ",").replace("+", "")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise ValidationError(_("Write whole months, for example 0, 1, 3, 6, 12."))
        steps = [int(p) for p in parts]
        services.plan_check_steps(steps)
        return steps

    def clean(self):
        data = super().clean()
        remind, valid = data.get("reminder_after_days"), data.get("link_valid_days")
        if remind and valid and valid <= remind:
            self.add_error(
                "link_valid_days",
                _("Links must stay valid longer than the wait before a reminder."),
            )
        return data


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    """Staff's list of follow-up plans, with what each has sent and received."""
    _require(permissions.can_manage_followup(request.user))
    return render(request, "followup/plans.html", {"plans": selectors.plans()})


@login_required
def plan_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a plan and its steps (the rule for sent surveys is on the page)."""
    _require(permissions.can_manage_followup(request.user))
    plan = get_object_or_404(FollowUpPlan, pk=pk) if pk is not None else None
    initial = {}
    if plan is not None:
        initial = {
            "name": plan.name,
            "event": plan.event_id,
            "steps": ", ".join(
                str(m)
                for m in plan.steps.filter(retired_at__isnull=True).values_list(
                    "offset_months", flat=True
                )
            ),
            "reminder_after_days": plan.reminder_after_days,
            "link_valid_days": plan.link_valid_days,
            "is_active": plan.is_active,
        }
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_save(by=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan was saved."))
            return redirect("followup:plan", pk=plan.pk)
    return render(
        request,
        "followup/plan_form.html",
        {"form": form, "plan": plan, "steps": selectors.plan_steps(plan) if plan else []},
    )


@login_required
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_followup(request.user))
    plan = get_object_or_404(FollowUpPlan, pk=pk)
    try:
        services.plan_delete(by=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("followup:plan", pk=plan.pk)
    messages.success(request, _("The plan was deleted."))
    return redirect("followup:plans")


# --- Impact dashboard -------------------------------------------------------------------------


def _filters(request: HttpRequest) -> selectors.Filters:
    def date(name):
        try:
            return datetime.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    cluster = request.GET.get("cluster", "")
    event = request.GET.get("event", "")
    chapter = request.GET.get("hs_chapter", "")[:2]
    return selectors.Filters(
        event=int(event) if event.isdigit() else None,
        country=request.GET.get("country", "")[:2].upper(),
        province=request.GET.get("province", "")[:12],
        cluster=int(cluster) if cluster.isdigit() else None,
        hs_chapter=chapter if chapter.isdigit() else "",
        date_from=date("from"),
        date_to=date("to"),
    )


GROUP_LABELS = selectors.GROUP_LABELS


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_view_impact(request.user))
    filters = _filters(request)
    viewer = not permissions.is_staff(request.user)
    data = selectors.impact_cached(filters, viewer=viewer)
    fmt = request.GET.get("format")
    table = request.GET.get("table", "")
    if fmt in ("csv", "xlsx"):
        return exports.impact_table(data, table=table, fmt=fmt)
    if fmt == "pdf":
        from corridor.followup.report import impact_pdf

        event = Event.objects.filter(pk=filters.event).first() if filters.event else None
        title = (
            _("Impact report: %(event)s") % {"event": event.name}
            if event
            else _("Programme impact report")
        )
        pdf = impact_pdf(data, filters=filters, title=title, viewer=viewer)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="impact-report.pdf"'
        return response
    funnel = charts.funnel_chart(
        [(label, n) for _s, label, n, _c in data.funnel], title=_("Trade leads by furthest stage")
    )
    months = charts.line_chart(
        [(r.label, float(r.orders)) for r in data.by_month], title=_("Orders per month")
    )
    value_bars = charts.bar_chart(
        [
            (r.label, None if r.value_usd is None else float(r.value_usd))
            for r in data.by["country"][:12]
        ],
        title=_("Order value by country (USD)"),
    )
    return render(
        request,
        "followup/dashboard.html",
        {
            "data": data,
            "filters": filters,
            "viewer": viewer,
            "funnel_svg": funnel,
            "months_svg": months,
            "value_svg": value_bars,
            "groups": [(k, GROUP_LABELS[k], data.by[k]) for k in GROUP_LABELS],
            "drop_reasons": [(exports.drop_reason_label(r), n) for r, n in data.drop_reasons],
            "staff": not viewer,
            "countries": Country.objects.filter(code__in=["KH", "LA", "MM", "TH", "VN"]),
            "provinces": (
                Province.objects.filter(country_id=filters.country, is_current=True)
                .order_by("name")
                .only("code", "name")
                if filters.country
                else []
            ),
            "clusters": Organisation.objects.filter(kind="cluster")
            .order_by("name")
            .only("id", "name")[:500],
            "events": Event.objects.order_by("-id").only("id", "name")[:100],
            "query": request.GET.urlencode(),
        },
    )
