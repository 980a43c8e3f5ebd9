"""Pages of events: list, public page, registration, participants, requests, agenda (phone),
staff dashboard (approvals, schedule runs with progress, moves, re-schedule), check-in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from corridor.accounts import permissions as account_permissions
from corridor.core import exports
from corridor.core.hygiene import CleanTextFormMixin
from corridor.directory.models import Country, Organisation
from corridor.directory.vocab import OrgKind
from corridor.events import calendar, selectors, services
from corridor.events.engine import frozen_slot
from corridor.events.models import (
    Event,
    Meeting,
    MeetingRequest,
    Registration,
    Representative,
    ScheduleRun,
    Slot,
)
from corridor.events.permissions import (
    can_manage_event,
    can_view_event,
    own_registration,
)


def _event(request: HttpRequest, slug: str) -> Event:
    event = get_object_or_404(Event, slug=slug)
    if not can_view_event(request.user, event):
        raise Http404
    return event


def _managed(request: HttpRequest, slug: str) -> Event:
    event = _event(request, slug)
    if not can_manage_event(request.user, event):
        raise PermissionDenied
    return event


def _mine(request: HttpRequest, event: Event) -> Registration:
    reg = own_registration(request.user, event)
    if reg is None:
        raise PermissionDenied
    return reg


def _error(request: HttpRequest, exc: services.EventError) -> None:
    messages.error(request, " ".join(exc.messages))


def event_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = selectors.events_for(request.user)
    return render(request, "events/list.html", {"upcoming": upcoming, "past": past})


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    reg = own_registration(request.user, event)
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": reg,
            "slots": selectors.slots_by_session(event),
            "is_open": services.registration_is_open(event),
            "manager": can_manage_event(request.user, event),
        },
    )


class RegistrationForm(CleanTextFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label=gettext_lazy("Organisation"),
        empty_label=gettext_lazy("— a new organisation —"),
    )
    new_name = forms.CharField(label=gettext_lazy("New organisation's name"), required=False)
    new_kind = forms.ChoiceField(
        label=gettext_lazy("Type"), choices=OrgKind.choices, required=False, initial="sme"
    )
    new_country = forms.ModelChoiceField(
        queryset=Country.objects.filter(code__in=["KH", "LA", "MM", "TH", "VN"]),
        required=False,
        label=gettext_lazy("Country"),
    )
    offers = forms.CharField(
        label=gettext_lazy("What you offer at this event"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    looks_for = forms.CharField(
        label=gettext_lazy("What you look for"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    offer_hs = forms.CharField(
        label=gettext_lazy("HS codes offered (comma separated)"), required=False
    )
    wanted_hs = forms.CharField(label=gettext_lazy("HS codes wanted"), required=False)
    max_meetings = forms.IntegerField(
        label=gettext_lazy("At most this many meetings"), min_value=0, max_value=99, required=False
    )
    unavailable = forms.ModelMultipleChoiceField(
        queryset=Slot.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Slots when you are not available"),
    )
    visible = forms.BooleanField(
        label=gettext_lazy("Show our profile to the other participants of this event"),
        required=False,
        initial=True,
    )
    rep_name = forms.CharField(label=gettext_lazy("Representative's name"), required=False)
    rep_email = forms.EmailField(label=gettext_lazy("Representative's email"), required=False)
    rep_languages = forms.CharField(label=gettext_lazy("Languages spoken"), required=False)
    rep_interpreter = forms.BooleanField(label=gettext_lazy("Needs an interpreter"), required=False)

    def __init__(self, *args, orgs, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = orgs
        self.fields["unavailable"].queryset = event.slots.order_by("starts_at")
        ez = selectors.event_zone(event)
        self.fields["unavailable"].label_from_instance = lambda s: s.starts_at.astimezone(
            ez
        ).strftime("%a %d %b %H:%M")

    def clean(self):
        data = super().clean()
        if not data.get("organisation") and not (data.get("new_name") and data.get("new_country")):
            raise forms.ValidationError(
                _("Choose your organisation, or give the name and country of a new one.")
            )
        return data


@login_required
def register(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    manager = can_manage_event(request.user, event)
    if manager:
        orgs = Organisation.objects.filter(merged_into__isnull=True)
    else:
        orgs = Organisation.objects.filter(
            pk__in=account_permissions.member_org_ids(request.user), merged_into__isnull=True
        )
    form = RegistrationForm(request.POST or None, orgs=orgs, event=event)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            org = d["organisation"]
            if org is None:
                org = services.organisation_create_for_event(
                    by=request.user,
                    name=d["new_name"],
                    kind=d["new_kind"],
                    country=d["new_country"],
                )
            reps = []
            if d["rep_name"]:
                reps.append(
                    {
                        "name": d["rep_name"],
                        "email": d["rep_email"],
                        "languages": d["rep_languages"],
                        "needs_interpreter": d["rep_interpreter"],
                        "user": None if manager else request.user,
                    }
                )
            reg = services.registration_create(
                event=event,
                organisation=org,
                by=request.user,
                offers=d["offers"],
                looks_for=d["looks_for"],
                offer_hs_codes=[c for c in d["offer_hs"].replace(";", ",").split(",") if c.strip()],
                wanted_hs_codes=[
                    c for c in d["wanted_hs"].replace(";", ",").split(",") if c.strip()
                ],
                max_meetings=d["max_meetings"],
                unavailable_slots=d["unavailable"],
                visible_to_participants=d["visible"],
                representatives=reps,
            )
        except services.EventError as exc:
            _error(request, exc)
        except forms.ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(org)s is registered: %(status)s.")
                % {"org": reg.organisation.name, "status": reg.get_status_display()},
            )
            return redirect("events:detail", event.slug)
    return render(
        request,
        "events/register.html",
        {"event": event, "form": form, "is_open": services.registration_is_open(event)},
    )


@login_required
@require_POST
def registration_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _event(request, slug)
    reg = get_object_or_404(Registration, pk=pk, event=event)
    try:
        services.registration_cancel(registration=reg, by=request.user)
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The registration is cancelled and its meetings are freed."))
    return redirect("events:detail", event.slug)


@login_required
def participant_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    me = own_registration(request.user, event)
    if me is None and not can_manage_event(request.user, event):
        raise PermissionDenied
    q = request.GET.get("q", "")[:100]
    kind = request.GET.get("kind", "")
    country = request.GET.get("country", "")[:2]
    from django.core.paginator import Paginator

    page = Paginator(
        selectors.participants(event, request.user, q=q, kind=kind, country=country), 25
    ).get_page(request.GET.get("page"))
    suggested = (
        selectors.suggestions(event, me, request.user)
        if me is not None and me.status == Registration.Status.APPROVED and not q
        else []
    )
    return render(
        request,
        "events/participants.html",
        {
            "event": event,
            "me": me,
            "page": page,
            "q": q,
            "kind": kind,
            "country": country,
            "kinds": OrgKind.choices,
            "suggested": suggested,
            # The engine's index is being built: these come from HS codes and words.
            "suggested_cheap": not getattr(suggested, "ranked", True),
            "open": services.requests_are_open(event),
        },
    )


@login_required
@require_POST
def request_send(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _event(request, slug)
    me = _mine(request, event)
    target = get_object_or_404(Registration, pk=pk, event=event)
    try:
        priority = int(request.POST.get("priority", "2"))
    except ValueError:
        priority = 0
    invitees = []
    for raw in request.POST.getlist("invitee"):
        if raw.isdigit():
            invitees.append(get_object_or_404(Registration, pk=int(raw), event=event))
    try:
        services.request_send(
            from_registration=me,
            to_registration=target,
            by=request.user,
            message=request.POST.get("message", ""),
            priority=priority,
            invitees=invitees,
        )
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Request sent to %(org)s.") % {"org": target.organisation.name})
    return redirect("events:participants", event.slug)


@login_required
def request_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    me = _mine(request, event)
    boxes = selectors.inbox(me)
    return render(request, "events/requests.html", {"event": event, "me": me, **boxes})


@login_required
@require_POST
def request_answer(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    event = _event(request, slug)
    me = _mine(request, event)
    req = get_object_or_404(MeetingRequest, pk=pk, event=event)
    try:
        if action == "accept":
            priority = int(request.POST.get("priority", "2") or 0)
            services.request_accept(
                request=req, by=request.user, priority=priority, registration=me
            )
            messages.success(request, _("Accepted: the meeting will be scheduled."))
        elif action == "decline":
            services.request_decline(request=req, by=request.user, registration=me)
            messages.success(request, _("Declined."))
        elif action == "cancel":
            services.request_cancel(request=req, by=request.user)
            messages.success(request, _("Request withdrawn."))
        else:
            raise Http404
    except ValueError:
        messages.error(request, _("The priority is 1, 2 or 3."))
    except services.EventError as exc:
        _error(request, exc)
    return redirect("events:requests", event.slug)


@login_required
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    me = _mine(request, event)
    data = selectors.agenda(me, request.user)
    return render(
        request,
        "events/agenda.html",
        {"event": event, "me": me, **data, "published": event.schedule_published_at is not None},
    )


@login_required
def agenda_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    me = _mine(request, event)
    body = calendar.agenda(me, selectors.agenda_meetings(me))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Private feed for calendar apps: the token in the URL is the permission."""
    me = get_object_or_404(
        Registration.objects.select_related("event", "organisation"),
        calendar_token=token,
        status=Registration.Status.APPROVED,
    )
    body = calendar.agenda(me, selectors.agenda_meetings(me))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def agenda_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    from corridor.events import documents

    event = _event(request, slug)
    me = _mine(request, event)
    pdf = documents.agenda_pdf(me, request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agenda-{event.slug}.pdf"'
    return response


@login_required
def agenda_qr(request: HttpRequest, slug: str) -> HttpResponse:
    from corridor.events import documents

    event = _event(request, slug)
    me = _mine(request, event)
    # A representative with an account carries their own code; others the organisation's.
    rep = selectors.representative_of(me, request.user)
    response = HttpResponse(documents.checkin_qr_svg(me, rep), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@require_POST
def meeting_mark(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("event"), pk=pk)
    reg = None
    if request.POST.get("registration", "").isdigit():
        reg = get_object_or_404(Registration, pk=int(request.POST["registration"]))
    manager = can_manage_event(request.user, meeting.event)
    try:
        services.meeting_mark(
            meeting=meeting, by=request.user, mark=request.POST.get("mark", ""), registration=reg
        )
    except services.EventError as exc:
        if request.headers.get("X-Offline-Queue"):
            return HttpResponse(" ".join(exc.messages), status=400)
        _error(request, exc)
    else:
        if request.headers.get("X-Offline-Queue"):
            return HttpResponse("ok")
        messages.success(request, _("Marked."))
    if manager and reg is not None:
        return redirect("events:schedule", meeting.event.slug)
    return redirect("events:agenda", meeting.event.slug)


@login_required
@require_POST
def meeting_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("event"), pk=pk)
    rating = request.POST.get("rating", "")
    follow = request.POST.get("follow_up", "")
    try:
        services.meeting_feedback(
            meeting=meeting,
            by=request.user,
            rating=int(rating) if rating.isdigit() else None,
            wants_follow_up={"yes": True, "no": False}.get(follow),
            comment=request.POST.get("comment", ""),
        )
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Thank you."))
    return redirect("events:agenda", meeting.event.slug)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("event"), pk=pk)
    version = request.POST.get("version")
    try:
        services.meeting_cancel(
            meeting=meeting, by=request.user, version=int(version) if version else None
        )
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The meeting is cancelled."))
    if can_manage_event(request.user, meeting.event):
        return redirect("events:schedule", meeting.event.slug)
    return redirect("events:agenda", meeting.event.slug)


# --- staff ----------------------------------------------------------------------------------------


class EventForm(CleanTextFormMixin, forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "name",
            "description",
            "venue",
            "address",
            "mode",
            "time_zone",
            "registration_deadline",
            "capacity",
            "requires_approval",
            "requests_close_at",
            "request_expiry_days",
            "tables",
        ]
        widgets = {
            "registration_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "requests_close_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    if not account_permissions.is_staff(request.user):
        raise PermissionDenied
    form = EventForm(request.POST or None, initial={"time_zone": "Asia/Bangkok"})
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(by=request.user, **form.cleaned_data)
        except services.EventError as exc:
            _error(request, exc)
        else:
            return redirect("events:manage", event.slug)
    return render(request, "events/event_form.html", {"form": form})


class SessionForm(CleanTextFormMixin, forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    starts = forms.TimeField(
        label=gettext_lazy("Starts"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=gettext_lazy("Ends"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    slot_minutes = forms.IntegerField(
        label=gettext_lazy("Slot (minutes)"), initial=20, min_value=5, max_value=240
    )
    pause_minutes = forms.IntegerField(
        label=gettext_lazy("Pause (minutes)"), initial=5, min_value=0, max_value=120
    )
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)


@login_required
@require_POST
def session_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Times are typed in the event's zone and stored in UTC."""
    import datetime as dt

    event = _managed(request, slug)
    form = SessionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the session's date and times."))
        return redirect("events:manage", event.slug)
    d = form.cleaned_data
    zone = selectors.event_zone(event)
    try:
        services.session_add(
            event=event,
            by=request.user,
            starts_at=dt.datetime.combine(d["date"], d["starts"], zone),
            ends_at=dt.datetime.combine(d["date"], d["ends"], zone),
            slot_minutes=d["slot_minutes"],
            pause_minutes=d["pause_minutes"],
            name=d["name"],
        )
    except services.EventError as exc:
        _error(request, exc)
    return redirect("events:manage", event.slug)


@login_required
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    return render(
        request,
        "events/manage.html",
        {
            "event": event,
            "stats": selectors.dashboard(event),
            "pending": selectors.pending_registrations(event)[:100],
            "statuses": services.ALLOWED_STATUS.get(event.status, set()),
            "status_labels": dict(Event.Status.choices),
            "session_form": SessionForm(),
            "slots": selectors.slots_by_session(event),
            "fixed_tables": selectors.fixed_tables(event),
        },
    )


@login_required
@require_POST
def manage_status(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    try:
        services.event_set_status(
            event=event, by=request.user, status=request.POST.get("status", "")
        )
    except (services.EventError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("events:manage", event.slug)


@login_required
@require_POST
def registration_decide(request: HttpRequest, slug: str, pk: int, action: str) -> HttpResponse:
    event = _managed(request, slug)
    reg = get_object_or_404(Registration, pk=pk, event=event)
    try:
        if action == "approve":
            services.registration_approve(registration=reg, by=request.user)
        elif action == "reject":
            services.registration_reject(registration=reg, by=request.user)
        else:
            raise Http404
    except services.EventError as exc:
        _error(request, exc)
    return redirect("events:manage", event.slug)


@login_required
def schedule(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    grid = selectors.schedule_page(
        event, slot_key=request.GET.get("slot", "")[:20], page=request.GET.get("page")
    )
    return render(
        request,
        "events/schedule.html",
        {
            "event": event,
            **grid,
            # One reverse() for every card's URL: /…/manage/meetings/<pk>/ with the pk appended.
            "actions_base": reverse("events:meeting_actions", args=[event.slug, 0])[:-2],
            "summary": selectors.schedule_summary(event),
            "runs": selectors.latest_runs(event),
        },
    )


@login_required
@require_POST
def schedule_run(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    kind = request.POST.get("kind", "solve")
    if kind not in ScheduleRun.Kind.values:
        raise Http404
    try:
        limit = float(request.POST.get("time_limit", "10"))
    except ValueError:
        limit = 0
    try:
        services.schedule_run_start(event=event, by=request.user, kind=kind, time_limit=limit)
    except services.EventError as exc:
        _error(request, exc)
    return redirect("events:schedule", event.slug)


@login_required
def run_progress(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """htmx polls this fragment until the run ends."""
    event = _managed(request, slug)
    run = get_object_or_404(ScheduleRun, pk=pk, event=event)
    run.readable = selectors.run_changes(run)
    return render(request, "events/_run.html", {"event": event, "run": run})


@login_required
@require_POST
def run_apply(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed(request, slug)
    run = get_object_or_404(ScheduleRun, pk=pk, event=event)
    try:
        if request.POST.get("discard"):
            services.schedule_run_discard(run=run, by=request.user)
        else:
            changed = services.schedule_run_apply(run=run, by=request.user)
            messages.success(
                request,
                _("%(n)d meetings changed; their participants are told.") % {"n": len(changed)},
            )
    except services.EventError as exc:
        _error(request, exc)
    return redirect("events:schedule", event.slug)


@login_required
@require_POST
def schedule_publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    try:
        services.schedule_publish(event=event, by=request.user)
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Published: every participant gets their agenda."))
    return redirect("events:schedule", event.slug)


@login_required
def meeting_actions(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move, lock, mark and cancel forms of one meeting, loaded when staff open its card."""
    event = _managed(request, slug)
    meeting = get_object_or_404(
        Meeting.objects.prefetch_related("seats__registration__organisation"), pk=pk, event=event
    )
    template = (
        "events/_staff_meeting_actions.html" if request.htmx else "events/meeting_actions.html"
    )
    return render(
        request,
        template,
        {"event": event, "m": meeting, "slot_nav": selectors.slots_by_session(event)},
    )


@login_required
@require_POST
def meeting_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed(request, slug)
    meeting = get_object_or_404(Meeting, pk=pk, event=event)
    version = request.POST.get("version", "")
    try:
        if "lock" in request.POST:
            services.meeting_lock(
                meeting=meeting,
                by=request.user,
                locked=request.POST["lock"] == "1",
                version=int(version) if version.isdigit() else None,
            )
        else:
            slot = get_object_or_404(Slot, pk=request.POST.get("slot") or 0, event=event)
            table = request.POST.get("table", "")
            services.meeting_move(
                meeting=meeting,
                by=request.user,
                slot=slot,
                table=int(table) if table.isdigit() else None,
                version=int(version) if version.isdigit() else None,
            )
            messages.success(request, _("Moved."))
    except services.EventError as exc:
        _error(request, exc)
    return redirect("events:schedule", event.slug)


@login_required
@require_POST
def meeting_video(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _managed(request, slug)
    meeting = get_object_or_404(Meeting.objects.select_related("slot"), pk=pk, event=event)
    try:
        services.meeting_set_video_link(
            meeting=meeting, by=request.user, url=request.POST.get("video_link", "")[:500]
        )
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Video link saved."))
    target = reverse("events:schedule", args=[event.slug])
    return redirect(f"{target}?slot={meeting.slot.key}" if meeting.slot else target)


def _approved_by_name(request: HttpRequest, event, name: str) -> Registration | None:
    """The one approved registration whose organisation has this name (staff type names), else
    None with the reason shown to the user."""
    found = list(
        event.registrations.filter(
            organisation__name__iexact=name, status=Registration.Status.APPROVED
        ).select_related("organisation")[:2]
    )
    if len(found) != 1:
        messages.error(
            request,
            _("“%(name)s” is not exactly one approved participant's name.") % {"name": name},
        )
        return None
    return found[0]


@login_required
@require_POST
def table_host(request: HttpRequest, slug: str) -> HttpResponse:
    """Fix a host (a buyer who stays put) to a table by the organisation's exact name; an empty
    name frees the table."""
    event = _managed(request, slug)
    number = request.POST.get("number", "")
    name = request.POST.get("host", "").strip()[:200]
    host = None
    if name:
        host = _approved_by_name(request, event, name)
        if host is None:
            return redirect("events:manage", event.slug)
    try:
        services.table_fix_host(
            event=event,
            by=request.user,
            number=int(number) if number.isdigit() else 0,
            registration=host,
        )
    except services.EventError as exc:
        _error(request, exc)
    else:
        if host is None:
            messages.success(request, _("Table %(n)s is free.") % {"n": number})
        else:
            messages.success(
                request,
                _("%(org)s stays at table %(n)s.") % {"org": host.organisation.name, "n": number},
            )
    return redirect("events:manage", event.slug)


@login_required
@require_POST
def meeting_add(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    regs = []
    for name in [n.strip() for n in request.POST.getlist("participant") if n.strip()][:6]:
        reg = _approved_by_name(request, event, name)
        if reg is None:
            return redirect("events:schedule", event.slug)
        regs.append(reg)
    version = request.POST.get("version", "")
    try:
        weight = int(request.POST.get("weight", "2"))
    except ValueError:
        weight = -1
    try:
        services.meeting_add(
            event=event,
            by=request.user,
            registrations=regs,
            weight=weight,
            version=int(version) if version.isdigit() else None,
        )
    except services.EventError as exc:
        _error(request, exc)
    else:
        messages.success(
            request, _("Meeting added; it waits for a slot until you re-schedule or move it.")
        )
    return redirect("events:schedule", event.slug)


def _not_arrived(request: HttpRequest, event: Event, reg: Registration) -> None:
    """Unavailable from the next slot to the end of that day; staff then re-schedule."""
    slot = frozen_slot(event, timezone.now()) or event.slots.order_by("starts_at").first()
    if slot is None:
        messages.error(request, _("No slot is left today."))
        return
    try:
        services.mark_no_show(registration=reg, by=request.user, from_slot=slot)
    except services.EventError as exc:
        _error(request, exc)
        return
    messages.success(
        request,
        _(
            "%(org)s is unavailable for the rest of the day. Re-schedule to place their "
            "partners in what is left of the day."
        )
        % {"org": reg.organisation.name},
    )


def _checkin_target(event: Event, post) -> tuple[Registration | None, Representative | None, str]:
    rep = post.get("representative", "")
    reg = post.get("registration", "")
    return selectors.checkin_target(
        event,
        code=post.get("token", ""),
        representative_id=int(rep) if rep.isdigit() else None,
        registration_id=int(reg) if reg.isdigit() else None,
    )


@login_required
def checkin(request: HttpRequest, slug: str) -> HttpResponse:
    event = _managed(request, slug)
    q = request.GET.get("q", "")[:100]
    if request.method == "POST":
        reg, rep, method = _checkin_target(event, request.POST)
        if reg is None:
            messages.error(
                request, _("Unknown code: this person is not registered for this event.")
            )
        elif request.POST.get("no_show"):
            _not_arrived(request, event, reg)
        else:
            try:
                _attendance, rep = services.arrival_check_in(
                    registration=reg, representative=rep, by=request.user, method=method
                )
            except services.EventError as exc:
                _error(request, exc)
            else:
                org = reg.organisation.name
                messages.success(
                    request,
                    _("%(name)s (%(org)s) is checked in.") % {"name": rep.name, "org": org}
                    if rep is not None
                    else _("%(org)s is checked in.") % {"org": org},
                )
        return redirect(f"{request.path}?q={q}")
    return render(
        request,
        "events/checkin.html",
        {"event": event, "q": q, "results": selectors.checkin_search(event, q)},
    )


@login_required
def staff_pdf(request: HttpRequest, slug: str, what: str) -> HttpResponse:
    from corridor.events import documents

    event = _managed(request, slug)
    if what == "tables":
        pdf = documents.table_plan_pdf(event)
    elif what == "badges":
        pdf = documents.badges_pdf(event)
    else:
        raise Http404
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{what}-{event.slug}.pdf"'
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """The agenda's service worker, served under /events/ so that its scope covers agendas."""
    from django.contrib.staticfiles import finders

    path = finders.find("events/sw.js")
    with open(path, "rb") as fh:
        body = fh.read()
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


EXPORTS = {
    "registrations": selectors.export_registrations,
    "schedule": selectors.export_schedule,
}


@login_required
def staff_export(request: HttpRequest, slug: str, what: str, fmt: str) -> HttpResponse:
    """Registrations (with contacts: staff only) or the schedule, as CSV or Excel."""
    event = _managed(request, slug)
    if what not in EXPORTS or fmt not in ("csv", "xlsx"):
        raise Http404
    headers, rows = EXPORTS[what](event)
    filename = f"{event.slug}-{what}.{fmt}"
    if fmt == "csv":
        return exports.csv_response(filename, headers, rows)
    return exports.xlsx_response(filename, headers, rows, sheet=what)
