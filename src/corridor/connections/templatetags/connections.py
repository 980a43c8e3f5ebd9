"""Template tags of connections: the "Ask to connect" box shown on profile pages."""

from __future__ import annotations

from django import template

from corridor.connections.selectors import connect_state

register = template.Library()


@register.inclusion_tag("connections/_connect_box.html", takes_context=True)
def connect_box(context, org) -> dict:
    """Render the connect box for `org` from what is in any page's context (request, user)."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    state = connect_state(user, org)
    return {
        "org": org,
        "request": request,
        "user": user,
        "error": context.get("error", ""),
        **state,
    }
