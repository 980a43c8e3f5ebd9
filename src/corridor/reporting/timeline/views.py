"""Pages of order timelines: my orders, an order's timeline with a few-taps update form for a
phone, a shipment, cancellation, and the private download of photos and documents."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts.permissions import is_staff, member_org_ids
from corridor.core import uploads
from corridor.core.hygiene import CleanTextFormMixin
from corridor.directory.models import BorderCrossing
from corridor.followup.models import Order
from corridor.reporting.permissions import can_view_report
from corridor.reporting.timeline import services
from corridor.reporting.timeline.models import (
    OrderUpdate,
    Step,
    TimelineStep,
    TransportMode,
)


class UpdateForm(CleanTextFormMixin, forms.Form):
    step = forms.ChoiceField(label=gettext_lazy("Step"), required=False)
    actual_on = forms.DateField(
        label=gettext_lazy("Done on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    expected_on = forms.DateField(
        label=gettext_lazy("Expected on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    crossing = forms.ModelChoiceField(
        label=gettext_lazy("Border crossing (when shipped)"),
        queryset=BorderCrossing.objects.order_by("name"),
        required=False,
    )
    transport_mode = forms.ChoiceField(
        label=gettext_lazy("Transport (when shipped)"),
        choices=[("", "—"), *TransportMode.choices],
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    document = forms.FileField(
        label=gettext_lazy("Document (PDF, JPEG, PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, steps: list[TimelineStep], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— only a note —"))]
        seen = set()
        for s in steps:
            value = f"{s.kind}:{s.shipment.number}" if s.shipment_id else s.kind
            if value in seen:
                continue
            seen.add(value)
            label = s.get_kind_display()
            if s.shipment_id:
                label = f"{label} · {_('shipment')} {s.shipment.number}"
            choices.append((value, label))
        self.fields["step"].choices = choices
        self.fields["actual_on"].initial = timezone.localdate


class OrderForm(CleanTextFormMixin, forms.Form):
    """An order entered by hand (staff, or a supplier for itself), through followup's service."""

    supplier = forms.ModelChoiceField(label=gettext_lazy("Supplier"), queryset=None)
    buyer = forms.ModelChoiceField(label=gettext_lazy("Buyer"), queryset=None)
    ordered_on = forms.DateField(
        label=gettext_lazy("Order date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    product = forms.CharField(label=gettext_lazy("Product"), max_length=200, required=False)
    value = forms.DecimalField(
        label=gettext_lazy("Value"), min_value=0, max_digits=16, decimal_places=2, required=False
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=(), initial="USD")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from corridor.accounts.permissions import visible_organisations
        from corridor.directory.models import Organisation
        from corridor.directory.vocab import Currency, OrgKind

        own = Organisation.objects.filter(kind__in=[OrgKind.SME, OrgKind.CLUSTER])
        if not is_staff(user):
            own = own.filter(id__in=member_org_ids(user))
        self.fields["supplier"].queryset = own.order_by("name")
        self.fields["buyer"].queryset = (
            visible_organisations(user)
            .filter(kind__in=[OrgKind.BUYER, OrgKind.SME])
            .order_by("name")
        )
        self.fields["currency"].choices = Currency.choices


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """Enter an order by hand; it gets its timeline at once."""
    from corridor.followup import services as followup

    form = OrderForm(request.POST or None, user=request.user)
    if not form.fields["supplier"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        refused = getattr(followup, "FollowupError", ValidationError)
        try:
            order = followup.order_create(
                by=request.user,
                supplier=data["supplier"],
                buyer=data["buyer"],
                ordered_on=data["ordered_on"],
                value=data["value"],
                currency=data["currency"],
                product=data["product"],
            )
        except (refused, ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            services.timeline_for(order)
            messages.success(request, _("Order recorded; both sides can follow it here."))
            return redirect("reporting:order", order_id=order.pk)
    return render(request, "reporting/order_new.html", {"form": form})


def _order(request: HttpRequest, order_id: int) -> Order:
    order = get_object_or_404(Order.objects.select_related("supplier", "buyer"), pk=order_id)
    if not services.can_view_order(request.user, order):
        raise Http404
    return order


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    qs = Order.objects.select_related("supplier", "buyer").order_by("-ordered_on", "-id")
    if not is_staff(request.user):
        own = member_org_ids(request.user)
        qs = qs.filter(Q(supplier_id__in=own) | Q(buyer_id__in=own))
    today = timezone.localdate()
    late = TimelineStep.objects.filter(
        timeline__order=OuterRef("pk"), timeline__cancelled_at__isnull=True
    ).filter(Q(actual_on__isnull=True, expected_on__lt=today) | Q(late_flagged_at__isnull=False))
    qs = qs.annotate(is_late=Exists(late))
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "reporting/orders.html", {"page": page})


@login_required
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    timeline = services.timeline_for(order)
    steps = list(timeline.steps.select_related("shipment"))
    return render(
        request,
        "reporting/order.html",
        {
            "order": order,
            "timeline": timeline,
            "steps": steps,
            "shipments": list(timeline.shipments.select_related("crossing")),
            "updates": timeline.updates.select_related("step", "by")[:50],
            "form": UpdateForm(steps=steps),
            "side": services.side_of(request.user, order),
            # Reports on the order that this person may open (their side's, or all for staff).
            "reports": [
                link.report
                for link in order.bottleneck_links.select_related("report")
                if can_view_report(request.user, link.report)
            ],
        },
    )


def _parse_step(value: str) -> tuple[str, int | None]:
    kind, _sep, number = value.partition(":")
    return kind, int(number) if number.isdigit() else None


@login_required
@require_POST
def order_update(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    timeline = services.timeline_for(order)
    steps = list(timeline.steps.select_related("shipment"))
    form = UpdateForm(request.POST, request.FILES, steps=steps)
    if form.is_valid():
        kind, number = _parse_step(form.cleaned_data["step"])
        try:
            services.step_record(
                order=order,
                by=request.user,
                kind=kind,
                shipment_number=number,
                actual_on=form.cleaned_data["actual_on"] if kind else None,
                expected_on=form.cleaned_data["expected_on"],
                note=form.cleaned_data["note"],
                crossing=form.cleaned_data["crossing"],
                transport_mode=form.cleaned_data["transport_mode"],
                photo=form.cleaned_data["photo"],
                document=form.cleaned_data["document"],
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved; the other side is told."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("reporting:order", order_id=order.pk)


@login_required
@require_POST
def order_shipment(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        services.shipment_add(order=order, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reporting:order", order_id=order.pk)


@login_required
@require_POST
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        services.order_cancel(order=order, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The order is cancelled; the other side is told."))
    return redirect("reporting:order", order_id=order.pk)


@login_required
@require_GET
def order_file(request: HttpRequest, update_id: int, which: str) -> HttpResponse:
    """A photo or document of an update: the two sides and staff only, as a download."""
    update = get_object_or_404(OrderUpdate.objects.select_related("timeline__order"), pk=update_id)
    if not services.can_view_order(request.user, update.timeline.order):
        raise Http404
    field = {"photo": update.photo, "document": update.document}.get(which)
    if not field:
        raise Http404
    name = update.document_name if which == "document" else f"order-{update.timeline.order_id}.jpg"
    # The one answer for private files: attachment, nosniff, X-Accel-Redirect in production.
    return uploads.file_response(field.name, download_name=name)


STEP_LABELS = dict(Step.choices)


@login_required
@require_GET
def border_times(request: HttpRequest) -> HttpResponse:
    """Staff: how long shipments of the last twelve months waited at each crossing."""
    from corridor.reporting.timeline.selectors import border_times as times

    if not is_staff(request.user):
        raise PermissionDenied
    from corridor.core.charts import bar_chart

    rows = times()
    chart = bar_chart(
        [(r.crossing, r.median_days) for r in rows if r.median_days is not None],
        title=_("Median days at the border"),
        unit=" " + _("days"),
    )
    return render(request, "reporting/border_times.html", {"rows": rows, "chart": chart})
