"""The start page's cards: each app adds a card with one small function, the page lists them.

An app adds a card in its `cards.py` (imported at start-up)::

    from corridor.start.registry import Card, card

    @card(order=40)
    def upcoming_events(viewer):
        if not viewer.orgs:
            return None  # no card for this person
        events = ...  # one selector call, a constant number of queries
        return Card(title=_("Your events"), template="events/_start_card.html",
                    context={"events": events}, waiting=len(events))

The function gets a `Viewer` (the user, staff or not, the organisations they act for, by kind,
read once per page) and returns a `Card` or None. Cards are shown by `order`, then by name.
A card that costs time (the matching engine's rankings) is registered with `lazy=` a cheap test
of the viewer (or True): the page shows a placeholder at once where the test passes, and htmx
loads the card from `/start/card/<key>/` (a link without JavaScript), so that signing in never
waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from corridor.accounts import permissions
from corridor.directory.vocab import OrgKind


@dataclass
class Card:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    # How many things wait for the reader here (shown beside the title; 0: nothing waits).
    waiting: int = 0
    # A link to the full list ("See all"), when the card shows only the first few.
    more_url: str = ""
    key: str = ""  # the card's HTML id, set from the function's name
    lazy: bool = False  # a placeholder, loaded afterwards from start:card


@dataclass
class Viewer:
    """Who reads the start page: read once, shared by every card function."""

    user: object

    @cached_property
    def staff(self) -> bool:
        return permissions.is_staff(self.user)

    @cached_property
    def memberships(self) -> list:
        return list(
            self.user.memberships.filter(organisation__merged_into__isnull=True)
            .select_related("organisation", "organisation__country")
            .order_by("organisation__name")
        )

    @cached_property
    def orgs(self) -> list:
        """Organisations the user belongs to directly."""
        return [m.organisation for m in self.memberships]

    def orgs_of(self, *kinds: str) -> list:
        return [o for o in self.orgs if o.kind in kinds]

    @cached_property
    def clusters(self) -> list:
        """Clusters the user coordinates (a coordinator membership or the cluster's coordinator)."""
        from corridor.directory.models import Organisation

        ids = {
            m.organisation_id
            for m in self.memberships
            if m.organisation.kind == OrgKind.CLUSTER and m.role == "coordinator"
        }
        led = Organisation.objects.filter(
            coordinator=self.user, kind=OrgKind.CLUSTER, merged_into__isnull=True
        ).exclude(pk__in=ids)
        return [m.organisation for m in self.memberships if m.organisation_id in ids] + list(led)

    @cached_property
    def org_ids(self) -> set[int]:
        """Everything the user acts for (direct organisations, coordinated clusters' members)."""
        return permissions.member_org_ids(self.user)


CardFunction = Callable[[Viewer], Card | None]
Lazy = bool | Callable[[Viewer], bool]
# (order, qualified name, function, lazy)
_registry: list[tuple[int, str, CardFunction, Lazy]] = []


def _key(function: CardFunction) -> str:
    return function.__name__.replace("_", "-")


def card(*, order: int = 50, lazy: Lazy = False) -> Callable[[CardFunction], CardFunction]:
    """Register a card function (see the module's docstring)."""

    def register(function: CardFunction) -> CardFunction:
        name = f"{function.__module__}.{function.__qualname__}"
        _registry[:] = [entry for entry in _registry if entry[1] != name]  # reloaded modules
        _registry.append((order, name, function, lazy))
        _registry.sort(key=lambda entry: (entry[0], entry[1]))
        return function

    return register


def _made(function: CardFunction, viewer: Viewer) -> Card | None:
    result = function(viewer)
    if result is not None:
        result.key = result.key or _key(function)
    return result


def cards_for(user) -> list[Card]:
    """The cards this user sees, in order (lazy ones as placeholders)."""
    viewer = Viewer(user)
    out = []
    for _order, _name, function, lazy in _registry:
        if lazy:
            if lazy is True or lazy(viewer):
                out.append(Card(title="", template="", key=_key(function), lazy=True))
            continue
        result = _made(function, viewer)
        if result is not None:
            out.append(result)
    return out


def card_for(user, key: str) -> Card | None:
    """One card by its key (a lazy card's own request); None when it does not apply."""
    for _order, _name, function, _lazy in _registry:
        if _key(function) == key:
            return _made(function, Viewer(user))
    return None
