"""Site-wide pages: the home page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from corridor.core.selectors import home_figures


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"figures": home_figures()})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
