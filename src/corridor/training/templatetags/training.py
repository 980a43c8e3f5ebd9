"""`{% training_for_org org %}`: the trainings attended and the milestones reached, on a
directory profile (one selector call; the directory template only includes it)."""

from __future__ import annotations

from django import template

from corridor.training import selectors

register = template.Library()


@register.inclusion_tag("training/_org_training.html", takes_context=True)
def training_for_org(context, org) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"org": org, "t": selectors.org_training(user, org), "request": request}
