"""The /api/v1/docs page: swagger-ui from the files ninja ships, never from a CDN."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import Swagger


class LocalSwagger(Swagger):
    """ninja's Swagger page, always from its app template (which uses {% static %}).

    ninja falls back to a CDN template when it is not an installed app, and only sends the CSRF
    token when the API-wide auth asks for it; ours is set per router, so we always send it for
    the browser session to be able to try writes.
    """

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        context = {"swagger_settings": json.dumps(settings, indent=1), "api": api, "add_csrf": True}
        response = render(request, self.template, context)
        # ninja's swagger-ui page starts itself with an inline script: the one page without the
        # site's Content-Security-Policy (it shows no user content).
        response._csp_exempt = True
        return response
