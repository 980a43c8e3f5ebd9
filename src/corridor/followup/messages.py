"""The one place follow-up emails leave from (survey invitations and reminders).

Survey emails carry a personal link whose token is stored nowhere (only its hash), so they are
rendered and sent here, in the recipient's language, rather than through the notifications
store, which keeps each message's body.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from corridor.accounts.services import site_url


def send_survey_email(
    *, to: str, language: str, subject, template: str, context: dict, connection=None
) -> None:
    """Send one plain-text email; raises when the mail server refuses it (the caller logs it)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        body = render_to_string(template, {**context, "site_url": site_url()})
        EmailMessage(str(subject), body, None, [to], connection=connection).send()
