"""Reads of the events app: lists, participant browser, suggestions, inbox, agenda, dashboard."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet
from django.templatetags.tz import do_timezone
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.core.text import tokens
from corridor.events.models import (
    Event,
    Meeting,
    MeetingOutcome,
    MeetingRequest,
    MeetingSeat,
    Registration,
    Representative,
    ScheduleRun,
    Table,
)
from corridor.events.permissions import can_manage_event


def events_for(user) -> tuple[list[Event], list[Event]]:
    """(upcoming, past) events the user may see; an event's date is its last slot's."""
    qs = Event.objects.exclude(status=Event.Status.DRAFT)
    if user.is_authenticated and (user.is_staff or user.is_superuser):
        qs = Event.objects.all()
    rows = list(_with_dates(qs))
    now = timezone.now()
    upcoming = [e for e in rows if e.ends is None or e.ends >= now]
    past = [e for e in rows if e.ends is not None and e.ends < now]
    upcoming.sort(key=lambda e: (e.starts is None, e.starts or now))
    past.sort(key=lambda e: e.starts, reverse=True)
    return upcoming, past


def _with_dates(qs: QuerySet[Event]) -> QuerySet[Event]:
    from django.db.models import Max, Min

    return qs.annotate(starts=Min("slots__starts_at"), ends=Max("slots__ends_at"))


def event_zone(event: Event) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(event.time_zone)


def user_zone(user, registration: Registration | None = None) -> zoneinfo.ZoneInfo | None:
    """The user's zone from their profile, else their organisation's country's zone."""
    name = getattr(user, "time_zone", "") if user is not None else ""
    if not name and registration is not None:
        name = registration.organisation.country.timezone
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _offset(zone: zoneinfo.ZoneInfo, when: dt.datetime) -> dt.timedelta | None:
    return when.astimezone(zone).utcoffset()


def in_zone(when: dt.datetime, zone) -> dt.datetime:
    """`when` in `zone`, marked so that templates show it as is (not in the visitor's zone)."""
    return do_timezone(when, zone)


def both_times(when: dt.datetime, event_tz, own_tz) -> tuple[dt.datetime, dt.datetime | None]:
    """The time in the event's zone, and in the participant's when its offset differs."""
    local = in_zone(when, event_tz)
    if own_tz is None or _offset(own_tz, when) == _offset(event_tz, when):
        return local, None
    return local, in_zone(when, own_tz)


# --- participants ---------------------------------------------------------------------------------


def visible_registrations(event: Event, user) -> QuerySet[Registration]:
    """Approved participants the viewer may see: published profiles, or those that agreed."""
    qs = event.registrations.filter(status=Registration.Status.APPROVED).select_related(
        "organisation", "organisation__country"
    )
    if not can_manage_event(user, event):
        qs = qs.filter(Q(organisation__is_published=True) | Q(visible_to_participants=True))
    return qs


def participants(
    event: Event, user, *, q: str = "", kind: str = "", country: str = ""
) -> QuerySet[Registration]:
    qs = visible_registrations(event, user).prefetch_related("offer_hs_codes", "wanted_hs_codes")
    if kind:
        qs = qs.filter(organisation__kind=kind)
    if country:
        qs = qs.filter(organisation__country_id=country.upper())
    if q:
        qs = qs.filter(
            Q(organisation__name__icontains=q)
            | Q(offers__icontains=q)
            | Q(looks_for__icontains=q)
            | Q(organisation__product_focus__icontains=q)
        )
    return qs.order_by("organisation__name")


@dataclass
class Suggestion:
    registration: Registration
    score: float
    reasons: list[str] = field(default_factory=list)


def _reason_texts(ranked) -> list[str]:
    """The engine's reasons, said from the viewer's side ("They offer …", "They look for …")."""
    out: list[str] = []
    for reasons, words, hs in (
        (
            ranked.offers,
            _("They offer: %(words)s"),
            _("They offer HS %(code)s, which you look for"),
        ),
        (
            ranked.wants,
            _("They look for: %(words)s"),
            _("They look for HS %(code)s, which you offer"),
        ),
    ):
        for r in reasons:
            if r.code == "text_match":
                out.append(words % {"words": r.params["terms"]})
            elif r.code.startswith("hs_"):
                out.append(hs % {"code": r.params["code"]})
            else:
                out.append(words % {"words": r.render()})
    if ranked.complement:
        out.append(_("A buyer and a supplier"))
    return list(dict.fromkeys(out))


class Suggestions(list):
    """Suggestions, best first; `ranked` is False while the engine's index is being built and
    these come from the cheap ranking (HS codes and shared words)."""

    ranked: bool = True


def suggestions(event: Event, me: Registration, user, limit: int = 10) -> Suggestions:
    """Participants ranked for `me` by the matching engine (`events.suggest`: what they offer
    against what I look for, what they look for against my offers; HS code levels, words in
    every script, embeddings), with its reasons. People already asked are left out. Until the
    event's index is built (in the background), the cheap ranking answers."""
    from corridor.events import suggest

    asked = MeetingRequest.objects.filter(
        Q(from_registration=me) | Q(to_registration=me),
        status__in=[MeetingRequest.Status.PENDING, MeetingRequest.Status.ACCEPTED],
    ).values_list("from_registration_id", "to_registration_id")
    skip = {a for pair in asked for a in pair} | {me.pk}
    ranked = suggest.rank(event, me)
    if ranked is None:
        out = Suggestions(_cheap_suggestions(event, me, user, skip, limit))
        out.ranked = False
        return out
    chosen = [r for r in ranked if r.registration_id not in skip][: limit * 2]
    visible = participants(event, user).filter(pk__in=[r.registration_id for r in chosen])
    regs = {r.pk: r for r in visible}
    out = [
        Suggestion(regs[r.registration_id], r.score, _reason_texts(r))
        for r in chosen
        if r.registration_id in regs
    ]
    return Suggestions(out[:limit])


CHEAP_WORDS = 8  # words of each side searched
CHEAP_CANDIDATES = 200


def _words(text: str) -> list[str]:
    return list(dict.fromkeys(t for t in tokens(text, ngrams=False) if len(t) > 2))


def _cheap_suggestions(
    event: Event, me: Registration, user, skip: set[int], limit: int
) -> list[Suggestion]:
    """Without the engine: participants sharing an HS chapter, heading or subheading with me (what
    they offer against what I look for, and back), or words, found by the database (a bounded
    number of candidates), scored on plain rows; only the chosen ones are loaded whole."""
    my_wanted = {h.code for h in me.wanted_hs_codes.all()}
    my_offered = {h.code for h in me.offer_hs_codes.all()}
    my_look = _words(me.looks_for)
    my_offer = _words(f"{me.offers} {me.organisation.product_focus or ''}")
    found = Q(pk__in=[])
    for code in {c[:2] for c in my_wanted}:
        found |= Q(offer_hs_codes__code__startswith=code)
    for code in {c[:2] for c in my_offered}:
        found |= Q(wanted_hs_codes__code__startswith=code)
    for word in my_look[:CHEAP_WORDS]:
        found |= Q(offers__icontains=word) | Q(organisation__product_focus__icontains=word)
    for word in my_offer[:CHEAP_WORDS]:
        found |= Q(looks_for__icontains=word)
    ids = list(
        visible_registrations(event, user)
        .filter(found)
        .exclude(pk__in=skip)
        .values_list("pk", flat=True)
        .distinct()[:CHEAP_CANDIDATES]
    )
    offered: dict[int, set[str]] = {}
    wanted: dict[int, set[str]] = {}
    for through, into in (
        (Registration.offer_hs_codes.through, offered),
        (Registration.wanted_hs_codes.through, wanted),
    ):
        for reg_id, code in through.objects.filter(registration_id__in=ids).values_list(
            "registration_id", "hscode_id"
        ):
            into.setdefault(reg_id, set()).add(code)
    rows = Registration.objects.filter(pk__in=ids).values_list(
        "pk", "offers", "looks_for", "organisation__product_focus", "organisation__kind"
    )
    scored: list[tuple[float, int, list[str]]] = []
    for pk, offers, looks_for, focus, kind in rows:
        score = 0.0
        reasons: list[str] = []
        for mine, theirs, text in (
            (my_wanted, offered.get(pk, ()), _("They offer HS %(code)s, which you look for")),
            (my_offered, wanted.get(pk, ()), _("They look for HS %(code)s, which you offer")),
        ):
            best, hit = 0, ""
            for a in mine:
                for b in sorted(theirs):
                    n = 6 if a == b else 4 if a[:4] == b[:4] else 2 if a[:2] == b[:2] else 0
                    if n > best:
                        best, hit = n, b
            if best:
                score += best
                reasons.append(text % {"code": hit})
        theirs_words = set(_words(f"{offers} {focus or ''}"))
        shared = [w for w in my_look if w in theirs_words]
        if shared:
            score += min(3, len(shared))
            reasons.append(_("They offer: %(words)s") % {"words": ", ".join(shared[:4])})
        theirs_words = set(_words(looks_for))
        shared = [w for w in my_offer if w in theirs_words]
        if shared:
            score += min(3, len(shared))
            reasons.append(_("They look for: %(words)s") % {"words": ", ".join(shared[:4])})
        kinds = {me.organisation.kind, kind}
        if score and "buyer" in kinds and kinds & {"sme", "cluster"}:
            score += 1
            reasons.append(_("A buyer and a supplier"))
        if score > 0:
            scored.append((score, pk, reasons))
    scored.sort(key=lambda t: -t[0])
    scored = scored[: limit * 3]  # ties at the cut are ordered by name below
    chosen = participants(event, user).filter(pk__in=[pk for _score, pk, _reasons in scored])
    regs = {r.pk: r for r in chosen}
    out = [Suggestion(regs[pk], score, reasons) for score, pk, reasons in scored if pk in regs]
    out.sort(key=lambda s: (-s.score, s.registration.organisation.name))
    return out[:limit]


# --- requests -------------------------------------------------------------------------------------


def inbox(me: Registration) -> dict[str, list[MeetingRequest]]:
    base = MeetingRequest.objects.select_related(
        "from_registration__organisation", "to_registration__organisation"
    ).prefetch_related("invitees__registration__organisation")
    received = list(
        base.filter(
            Q(to_registration=me) | Q(invitees__registration=me), event_id=me.event_id
        ).distinct()
    )
    sent = list(base.filter(from_registration=me))
    return {"received": received, "sent": sent}


# --- agenda ---------------------------------------------------------------------------------------


@dataclass
class AgendaItem:
    meeting: Meeting
    partners: list[Registration]
    local: dt.datetime | None
    own: dt.datetime | None
    mine: MeetingOutcome | None
    outcome: str
    started: bool = False


def agenda(me: Registration, user, now: dt.datetime | None = None) -> dict:
    """A participant's meetings, next first, in the event's zone (and theirs when different)."""
    from corridor.events.services import meeting_outcome

    now = now or timezone.now()
    event = me.event
    ez = event_zone(event)
    oz = user_zone(user, me)
    meetings = list(
        Meeting.objects.filter(seats__registration=me)
        .select_related("slot")
        .prefetch_related(
            Prefetch(
                "seats",
                queryset=MeetingSeat.objects.select_related(
                    "registration__organisation__country"
                ).prefetch_related("registration__organisation__products"),
            ),
            "outcomes",
        )
        .order_by("slot__starts_at", "pk")
    )
    items = []
    for m in meetings:
        partners = [s.registration for s in m.seats.all() if s.registration_id != me.pk]
        local = own = None
        if m.slot is not None:
            local, own = both_times(m.slot.starts_at, ez, oz)
        marks = {o.registration_id: o for o in m.outcomes.all()}
        items.append(
            AgendaItem(
                m,
                partners,
                local,
                own,
                marks.get(me.pk),
                meeting_outcome(m, [o.mark for o in marks.values()]),
                m.slot is not None and m.slot.starts_at <= now,
            )
        )
    scheduled = [i for i in items if i.meeting.status == Meeting.Status.SCHEDULED]
    placed = [i for i in scheduled if i.meeting.slot is not None]
    upcoming = [i for i in placed if i.meeting.slot.ends_at >= now]
    done = [i for i in placed if i.meeting.slot.ends_at < now]
    return {
        "next": upcoming[0] if upcoming else None,
        "upcoming": upcoming,
        "done": done,
        "waiting": [i for i in scheduled if i.meeting.slot is None],
        "cancelled": [i for i in items if i.meeting.status == Meeting.Status.CANCELLED],
        "all": items,
        "event_zone": ez,
        "own_zone": oz if oz and _offset(oz, now) != _offset(ez, now) else None,
    }


def agenda_meetings(me: Registration) -> list[Meeting]:
    """Meetings for the calendar file: scheduled and cancelled ones that had a slot."""
    return list(
        Meeting.objects.filter(seats__registration=me, slot__isnull=False)
        .select_related("slot", "event")
        .prefetch_related("seats__registration__organisation")
        .order_by("slot__starts_at")
    )


# --- staff dashboard ------------------------------------------------------------------------------


def dashboard(event: Event) -> dict:
    regs = Counter(event.registrations.values_list("status", flat=True))
    reqs = Counter(event.meeting_requests.values_list("status", flat=True))
    meetings = event.meetings.filter(status=Meeting.Status.SCHEDULED)
    placed = meetings.filter(slot__isnull=False).count()
    total = meetings.count()
    last_run = event.schedule_runs.first()
    checked_in = event.registrations.filter(attendance__isnull=False).count()
    return {
        "registrations": sorted(regs.items()),
        "requests": sorted(reqs.items()),
        "meetings_total": total,
        "meetings_placed": placed,
        "meetings_waiting": total - placed,
        "last_run": last_run,
        "checked_in": checked_in,
    }


def fixed_tables(event: Event) -> list[Table]:
    """Tables with a host who stays put, by number (the engine seats the host's meetings there)."""
    return list(
        Table.objects.filter(event=event, host__isnull=False)
        .select_related("host__organisation")
        .order_by("number")
    )


def pending_registrations(event: Event) -> QuerySet[Registration]:
    return (
        event.registrations.filter(
            status__in=[Registration.Status.PENDING, Registration.Status.WAITLISTED]
        )
        .select_related("organisation", "organisation__country")
        .order_by("created_at")
    )


def schedule_grid(event: Event, *, page_slot: str = "") -> dict:
    """Meetings by slot for the staff schedule page (a constant number of queries)."""
    slots = list(event.slots.select_related("session").order_by("starts_at"))
    ez = event_zone(event)
    meetings = (
        Meeting.objects.filter(event=event, status=Meeting.Status.SCHEDULED)
        .select_related("slot")
        .prefetch_related(
            Prefetch(
                "seats", queryset=MeetingSeat.objects.select_related("registration__organisation")
            )
        )
        .order_by("slot__starts_at", "table", "pk")
    )
    if page_slot:
        meetings = meetings.filter(Q(slot__key=page_slot) | Q(slot__isnull=True))
    by_slot: dict[int | None, list[Meeting]] = {}
    for m in meetings:
        by_slot.setdefault(m.slot_id, []).append(m)
    return {
        "slots": [(s, in_zone(s.starts_at, ez), by_slot.get(s.pk, [])) for s in slots],
        "waiting": by_slot.get(None, []),
    }


@dataclass(frozen=True, slots=True)
class StaffMeeting:
    """One meeting's card on the staff schedule page: plain values, no model instances."""

    pk: int
    table: int | None
    weight: int
    locked: bool
    video_link: str
    names: tuple[str, ...]


class _CountedRows:
    """A page source for Paginator whose count is already known."""

    def __init__(self, qs, count: int) -> None:
        self.qs, self.n = qs, count

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k):
        return self.qs[k]


_STAFF_COLUMNS = ("pk", "table", "weight", "locked", "video_link")


def _staff_rows(rows) -> list[StaffMeeting]:
    rows = list(rows)
    names: dict[int, list[str]] = {r[0]: [] for r in rows}
    seats = (
        MeetingSeat.objects.filter(meeting_id__in=list(names))
        .order_by("meeting_id", "pk")
        .values_list("meeting_id", "registration__organisation__name")
    )
    for meeting_id, name in seats:
        names[meeting_id].append(name)
    return [StaffMeeting(*r, names=tuple(names[r[0]])) for r in rows]


def schedule_page(event: Event, *, slot_key: str = "", page: str | int | None = 1) -> dict:
    """One slot of the staff schedule page, 50 meetings a page, and the first waiting ones.

    Six queries at any event size (slots, two counts, the page, the first waiting meetings,
    their seats' names), read as plain values: at a forum's size building model
    instances and rendering them through nested includes cost more than the queries."""
    from django.core.paginator import Paginator

    ez = event_zone(event)
    slots = [(s, in_zone(s.starts_at, ez)) for s in event.slots.order_by("starts_at")]
    current = next((s for s, _local in slots if s.key == slot_key), slots[0][0] if slots else None)
    base = Meeting.objects.filter(event=event, status=Meeting.Status.SCHEDULED)
    # Two counts, each a range of the (event, status, slot) index, not one pass over them all.
    counts = {
        "here": base.filter(slot=current).count() if current else 0,
        "waiting": base.filter(slot__isnull=True).count(),
    }
    in_slot = base.filter(slot=current).order_by("table", "pk").values_list(*_STAFF_COLUMNS)
    meetings = Paginator(_CountedRows(in_slot, counts["here"]), 50).get_page(page)
    shown = list(meetings.object_list) if counts["here"] else []
    waiting = base.filter(slot__isnull=True).order_by("pk").values_list(*_STAFF_COLUMNS)[:20]
    rows = _staff_rows([*shown, *(waiting if counts["waiting"] else [])])
    meetings.object_list = rows[: len(shown)]
    return {
        "slot_nav": slots,
        "current_slot": current,
        "current_local": in_zone(current.starts_at, ez) if current else None,
        "meetings": meetings,
        "waiting": rows[len(shown) :],
        "waiting_count": counts["waiting"],
    }


def schedule_summary(event: Event) -> dict:
    """Participants with requests but no scheduled meeting, and the idle gaps ("breaks") as of
    the last applied run. Cached per schedule version: every change of meetings raises it."""
    key = f"events:summary:{event.pk}:{event.created_at.timestamp()}:{event.schedule_version}"
    summary = cache.get(key)
    if summary is None:
        summary = _schedule_summary(event)
        cache.set(key, summary, 3600)
    return summary


def _schedule_summary(event: Event) -> dict:
    seats = MeetingSeat.objects.filter(
        meeting__event=event, meeting__status=Meeting.Status.SCHEDULED
    )
    requested = set(seats.values_list("registration_id", flat=True).distinct())
    placed = set(
        seats.filter(slot__isnull=False).values_list("registration_id", flat=True).distinct()
    )
    without = requested - placed
    names = list(
        Registration.objects.filter(pk__in=sorted(without)[:2000])
        .order_by("organisation__name")
        .values_list("organisation__name", flat=True)[:50]
    )
    last = (
        event.schedule_runs.filter(status=ScheduleRun.Status.APPLIED).defer("assignments").first()
    )
    return {
        "participants_without_meeting": len(without),
        "without_names": names,
        "breaks": (last.result.get("stats", {}).get("breaks") if last else None),
    }


def representative_of(registration: Registration, user) -> Representative | None:
    """The user's own representative row in this registration (their personal check-in code)."""
    if user is None or not user.is_authenticated:
        return None
    return registration.representatives.filter(user=user).order_by("pk").first()


def checkin_target(
    event: Event,
    *,
    code: str = "",
    representative_id: int | None = None,
    registration_id: int | None = None,
) -> tuple[Registration | None, Representative | None, str]:
    """Who a check-in names, with the method: a scanned code (a person's own, or the
    organisation's), a representative picked by name, or a registration. (None, None, method)
    when unknown at this event."""
    from corridor.events.documents import parse_checkin_payload

    if code:
        token, rep_pk = parse_checkin_payload(code)
        reg = Registration.objects.filter(event=event, calendar_token=token).first()
        rep = None
        if reg is not None and rep_pk is not None:
            rep = Representative.objects.filter(registration=reg, pk=rep_pk).first()
            if rep is None:
                return None, None, "qr"
        return reg, rep, "qr"
    if representative_id is not None:
        rep = (
            Representative.objects.filter(registration__event=event, pk=representative_id)
            .select_related("registration__organisation", "registration__event")
            .first()
        )
        return (rep.registration if rep else None), rep, "search"
    if registration_id is not None:
        reg = Registration.objects.filter(event=event, pk=registration_id).first()
        return reg, None, "search"
    return None, None, "search"


def checkin_search(event: Event, q: str) -> QuerySet[Registration]:
    """Approved participants by organisation or person name, each with its representatives
    (checked in one by one) and its attendance (arrived: its first representative came)."""
    qs = (
        event.registrations.filter(status=Registration.Status.APPROVED)
        .select_related("organisation", "attendance")
        .prefetch_related("representatives")
    )
    if q:
        qs = qs.filter(
            Q(organisation__name__icontains=q)
            | Q(organisation__local_name__icontains=q)
            | Q(representatives__name__icontains=q)
        ).distinct()
    return qs.order_by("organisation__name")[:30]


def latest_runs(event: Event) -> list[ScheduleRun]:
    runs = list(event.schedule_runs.defer("assignments")[:5])
    for run in runs:
        run.readable = run_changes(run)
    return runs


def run_changes(run: ScheduleRun) -> dict[str, list[str]]:
    """A re-schedule's moved / added / dropped meetings, named by their participants."""
    names = run.result.get("names", {}) if isinstance(run.result, dict) else {}
    return {
        key: [names.get(mid, mid) for mid in run.result.get(key, [])]
        for key in ("moved", "added", "dropped")
    }


def slots_by_session(event: Event) -> list[tuple]:
    ez = event_zone(event)
    return [
        (s, in_zone(s.starts_at, ez))
        for s in event.slots.select_related("session").order_by("starts_at")
    ]


def counts_by_status(qs, field: str = "status") -> dict[str, int]:
    return dict(qs.values_list(field).annotate(n=Count("pk")))


def export_registrations(event: Event) -> tuple[list[str], Iterator[list]]:
    """Every registration with its organisation's contacts and representatives (staff)."""
    headers = [
        "registration",
        "organisation",
        "type",
        "country",
        "status",
        "email",
        "phone",
        "offers",
        "looks for",
        "max meetings",
        "representatives",
        "interpreter needed",
        "checked in",
    ]

    def rows() -> Iterator[list]:
        qs = (
            event.registrations.select_related("organisation", "attendance")
            .prefetch_related("representatives")
            .order_by("organisation__name")
        )
        for r in qs.iterator(chunk_size=500):
            reps = list(r.representatives.all())
            yield [
                r.pk,
                r.organisation.name,
                r.organisation.kind,
                r.organisation.country_id,
                r.status,
                r.organisation.email,
                r.organisation.phone,
                r.offers,
                r.looks_for,
                r.max_meetings,
                "; ".join(f"{p.name} <{p.email}>" if p.email else p.name for p in reps),
                "yes" if any(p.needs_interpreter for p in reps) else "",
                "yes" if hasattr(r, "attendance") else "",
            ]

    return headers, rows()


def export_schedule(event: Event) -> tuple[list[str], Iterator[list]]:
    """Every meeting: local time, table, participants, weight, status, outcome."""
    from corridor.events.services import meeting_outcome

    ez = event_zone(event)
    headers = ["meeting", "time", "table", "participants", "weight", "status", "locked", "outcome"]

    def rows() -> Iterator[list]:
        qs = (
            Meeting.objects.filter(event=event)
            .select_related("slot")
            .prefetch_related(
                Prefetch(
                    "seats",
                    queryset=MeetingSeat.objects.select_related("registration__organisation"),
                ),
                "outcomes",
            )
            .order_by("slot__starts_at", "table", "pk")
        )
        for m in qs.iterator(chunk_size=500):
            yield [
                m.pk,
                m.slot.starts_at.astimezone(ez).strftime("%Y-%m-%d %H:%M") if m.slot else "",
                m.table or "",
                " – ".join(s.registration.organisation.name for s in m.seats.all()),
                m.weight,
                m.status,
                "yes" if m.locked else "",
                meeting_outcome(m, [o.mark for o in m.outcomes.all()]),
            ]

    return headers, rows()
