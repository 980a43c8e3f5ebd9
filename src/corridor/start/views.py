"""The start page: where each person lands after signing in (cards from every app)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from corridor.start.registry import cards_for


@login_required
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "start/page.html", {"cards": cards_for(request.user)})
