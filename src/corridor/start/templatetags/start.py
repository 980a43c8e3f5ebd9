"""Template tags of the start page: one card, rendered from its own template and context."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def start_card(context, card) -> str:
    return render_to_string(
        card.template, {**card.context, "card": card}, request=context.get("request")
    )
