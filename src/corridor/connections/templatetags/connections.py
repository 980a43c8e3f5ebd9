"""Template tags of connections: the "Ask to connect" box of profiles, the "I can supply this"
box and the responses of sourcing requests."""

from __future__ import annotations

from django import template

from corridor.accounts import permissions
from corridor.connections.selectors import answer_state, connect_state, request_responses

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


@register.inclusion_tag("connections/_answer_box.html", takes_context=True)
def answer_box(context, req) -> dict:
    """The "I can supply this" form of a sourcing request, for the user's SMEs and clusters."""
    from corridor.connections.views import AnswerForm

    user = context.get("user")
    state = answer_state(user, req)
    return {
        "req": req,
        "request": context.get("request"),
        "form": AnswerForm(orgs=state["orgs"]),
        "csrf_token": context.get("csrf_token"),
        **state,
    }


@register.inclusion_tag("connections/_responses.html", takes_context=True)
def request_responses_list(context, req) -> dict:
    """Suppliers' answers to a request: for the buyer and staff (the caller checks)."""
    user = context.get("user")
    return {
        "req": req,
        "responses": request_responses(req),
        "can_answer": bool(user and permissions.can_act_for_org(user, req.buyer)),
        "csrf_token": context.get("csrf_token"),
    }
