"""Pages of notifications: the in-app list, read marks (htmx), email choices, unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from corridor.notifications import kinds, selectors, services
from corridor.notifications.forms import EmailChoicesForm
from corridor.notifications.models import Notification


def _own(request: HttpRequest, pk: int) -> Notification:
    """The caller's notification; anybody else's is a 404, as if it did not exist."""
    notification = selectors.notifications_for(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    return notification


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(
        selectors.notifications_for(request.user, unread_only=unread_only),
        settings.CORRIDOR["PAGE_SIZE"],
    ).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = services.notification_mark_read(
        notification=_own(request, pk), user=request.user
    )
    if request.htmx:
        return render(request, "notifications/_item.html", {"n": notification, "oob_count": True})
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """Which kinds of notification the person also wants by email."""
    choices = selectors.email_choices(request.user)
    form = EmailChoicesForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        for kind, _wanted in choices:
            services.preference_set(
                user=request.user, kind=kind.name, email=form.cleaned_data[kind.name]
            )
        messages.success(request, _("Your email settings were saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every notification email: works without signing in (the signed token names
    the person and the kind). A GET only asks, so that mail scanners change nothing."""
    target = services.unsubscribe_target(token)
    if target is None:
        raise Http404
    user, kind = target
    done = False
    if request.method == "POST":
        services.preference_set(user=user, kind=kind, email=False)
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        {"done": done, "kind_label": kinds.get(kind).label},
    )
