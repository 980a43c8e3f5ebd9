"""The start page: where each person lands after signing in (cards from every app)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from corridor.start.registry import card_for, cards_for


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "start/page.html", {"cards": cards_for(request.user)})


@login_required
@require_GET
def card(request: HttpRequest, key: str) -> HttpResponse:
    """One card (a lazy one loaded by htmx after the page; a page of its own without JS)."""
    found = card_for(request.user, key)
    if request.htmx:
        if found is None:
            return HttpResponse("")
        return render(request, "start/_card.html", {"card": found})
    return render(request, "start/page.html", {"cards": [found] if found else []})
