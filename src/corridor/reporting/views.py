"""Pages of bottleneck reporting: file a report, my reports, a report's page (status, focal
point, follow), the anonymised public page with its exports, and the staff analysis."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from corridor.connections.selectors import acting_organisations
from corridor.core import exports
from corridor.core.charts import bar_chart
from corridor.directory.models import BorderCrossing
from corridor.reporting import corridor_map, permissions, selectors, services
from corridor.reporting.forms import AnalysisFilters, AssignForm, ReportForm, StatusForm
from corridor.reporting.models import BottleneckReport, Category, ReportFollower, Status

PER_PAGE = 25


def _report(request: HttpRequest, pk: int) -> BottleneckReport:
    report = selectors.report_detail(pk)
    if report is None or not permissions.can_view_report(request.user, report):
        raise Http404
    return report


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = selectors.reports_for_user(request.user, status=status)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Status.choices,
            "orders_installed": apps.is_installed("corridor.reporting.timeline"),
        },
    )


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    orgs = acting_organisations(request.user)
    initial = {"order": request.GET.get("order")} if request.GET.get("order") else None
    form = ReportForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = data.pop("organisation", None)
        on_behalf = bool(data.pop("on_behalf", False))
        order = data.pop("order", None)
        try:
            report = services.report_create(
                by=request.user, data=data, org=org, on_behalf=on_behalf, order=order
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Thank you: report #%(id)s was filed. You will be told of each change.")
                % {"id": report.pk},
            )
            return redirect("reporting:detail", pk=report.pk)
    return render(request, "reporting/new.html", {"form": form})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    user = request.user
    context = {
        "report": report,
        "events": report.events.select_related("by").all(),
        "see_reporter": permissions.can_see_reporter(user, report),
        "following": ReportFollower.objects.filter(report=report, user=user).exists(),
        "status_form": StatusForm(report=report)
        if permissions.can_update_status(user, report) and report.allowed_next
        else None,
        "can_note": permissions.can_update_status(user, report),
        "assign_form": AssignForm(
            initial={"focal_point": report.focal_point_id, "deadline": report.deadline}
        )
        if permissions.can_assign(user) and report.is_active
        else None,
    }
    return render(request, "reporting/detail.html", context)


@login_required
@require_POST
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not permissions.can_update_status(request.user, report):
        raise PermissionDenied
    form = StatusForm(request.POST, report=report)
    note = request.POST.get("public_note")
    try:
        if request.POST.get("status"):
            if not form.is_valid():
                raise services.TransitionNotAllowed(report, request.POST["status"])
            services.report_set_status(
                report=report,
                to_status=form.cleaned_data["status"],
                by=request.user,
                public_note=note,
            )
        else:
            services.report_set_note(report=report, public_note=note or "", by=request.user)
    except services.TransitionNotAllowed as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved. The reporter and followers are told."))
    return redirect("reporting:detail", pk=pk)


@login_required
@require_POST
def report_assign(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if not permissions.can_assign(request.user):
        raise PermissionDenied
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.report_assign(
                report=report,
                focal_point=form.cleaned_data["focal_point"],
                deadline=form.cleaned_data["deadline"],
                by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Assigned; the focal point is told."))
    else:
        messages.error(request, _("Choose a support organisation."))
    return redirect("reporting:detail", pk=pk)


@login_required
@require_POST
def report_follow(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if request.POST.get("follow") == "0":
        services.report_unfollow(report=report, user=request.user)
    else:
        services.report_follow(report=report, user=request.user)
    return redirect("reporting:detail", pk=pk)


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Open to everyone, anonymised (see selectors.public_reports)."""
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    try:
        crossing_id = int(request.GET.get("crossing") or 0) or None
    except ValueError:
        crossing_id = None
    qs = selectors.public_reports(status=status, category=category, crossing_id=crossing_id)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        name = f"corridor-bottlenecks-{timezone.localdate().isoformat()}.{fmt}"
        writer = exports.csv_response if fmt == "csv" else exports.xlsx_response
        return writer(name, selectors.PUBLIC_HEADERS, selectors.public_rows(qs.iterator()))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/public.html",
        {
            "page": page,
            "status": status,
            "category": category,
            "crossing_id": crossing_id,
            "statuses": Status.choices,
            "categories": Category.choices,
            "crossings": BorderCrossing.objects.order_by("name").only("id", "name"),
            "min_group": selectors.PUBLIC_MIN_GROUP,
        },
    )


def _bars(groups, title: str):
    """A bar chart of report counts, drawn by core.charts (SVG, readable on a phone)."""
    return bar_chart([(g.label or "—", g.count) for g in groups], title=title)


@login_required
@require_GET
def analysis(request: HttpRequest) -> HttpResponse:
    if not permissions.can_analyse(request.user):
        raise PermissionDenied
    form = AnalysisFilters(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    result = selectors.analysis(
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        category=filters.get("category") or "",
        corridor_id=filters["corridor"].pk if filters.get("corridor") else None,
    )
    crossings = list(BorderCrossing.objects.order_by("name").values_list("id", "name"))
    # Open reports among those of the period (the figures below count the same reports).
    open_by_crossing = {g.key: g.active for g in result.by_crossing if g.key}
    the_map = corridor_map.layout(crossings, open_by_crossing)
    return render(
        request,
        "reporting/analysis.html",
        {
            "form": form,
            "a": result,
            "map": the_map,
            "category_chart": _bars(result.by_category, _("Reports by category")),
            "crossing_chart": _bars(result.by_crossing[:15], _("Reports by border crossing")),
            "month_chart": _bars(result.by_month, _("Reports by month")),
            "orders_installed": apps.is_installed("corridor.reporting.timeline"),
        },
    )
