"""The registry of notification kinds: each app registers its own, with a label and a default."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Kind:
    """A sort of message, named "app.event" ("events.meeting_moved")."""

    name: str
    label: str | Promise
    email_default: bool = True
    # False: the email is not governed by the notification settings (an invitation, or an app
    # that keeps its own switch and unsubscribe link, like the match digest).
    opt_out: bool = True


_registry: dict[str, Kind] = {}


def register(
    name: str, *, label: str | Promise, email_default: bool = True, opt_out: bool = True
) -> Kind:
    """Declare a kind (call it from the app's AppConfig.ready). Registering the same name again
    replaces it, so that a reloaded module does not fail."""
    if "." not in name or len(name) > 80:
        raise ValueError(f"A notification kind is 'app.event' of at most 80 characters: {name!r}")
    kind = Kind(name=name, label=label, email_default=email_default, opt_out=opt_out)
    _registry[name] = kind
    return kind


def get(name: str) -> Kind:
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(
            f"Unknown notification kind {name!r}: register it with notifications.kinds.register()"
        ) from None


def is_registered(name: str) -> bool:
    return name in _registry


def all_kinds(*, optional_only: bool = False) -> list[Kind]:
    """Every registered kind (or those people may turn off), in a stable order (by name)."""
    found = [_registry[name] for name in sorted(_registry)]
    return [k for k in found if k.opt_out] if optional_only else found
