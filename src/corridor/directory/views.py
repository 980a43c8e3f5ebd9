"""Views of the directory: search and profiles."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from corridor.accounts import permissions
from corridor.directory.models import Organisation


def search(request: HttpRequest) -> HttpResponse:
    orgs = permissions.visible_organisations(request.user).select_related("country", "province")[
        :20
    ]
    return render(request, "directory/search.html", {"organisations": orgs})


def organisation_detail(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    if not permissions.can_view_org(request.user, org):
        raise Http404
    return render(request, "directory/organisation.html", {"org": org})
