"""`corridor backfill_leads`: leads for connections and meetings from before follow-up existed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.connections.models import Connection
from corridor.events.models import Meeting
from corridor.followup.models import Lead
from corridor.followup.services import (
    lead_from_connection,
    lead_from_meeting,
    lead_places_refresh,
    orders_refresh,
)


class Command(BaseCommand):
    help = (
        "Create a lead for every accepted connection, and every held meeting where a side wants "
        "to follow up, that has none yet (safe to run again: "
        "a pair that already has a lead is left as it is), and bring the copies the dashboard "
        "reads up to date (supplier place on leads and orders, US dollars on orders)."
    )

    def handle(self, *args, **options) -> None:
        created = 0
        qs = (
            Connection.objects.filter(status=Connection.Status.ACCEPTED, leads__isnull=True)
            .select_related("from_org", "to_org", "responded_by")
            .order_by("responded_at", "id")
        )
        for connection in qs.iterator(chunk_size=500):
            _lead, new = lead_from_connection(connection=connection)
            created += new
        before = Lead.objects.count()
        meetings = Meeting.objects.filter(
            outcomes__wants_follow_up=True, leads__isnull=True
        ).distinct()
        for meeting in meetings.order_by("id").iterator(chunk_size=200):
            lead_from_meeting(meeting=meeting)
        created += Lead.objects.count() - before
        self.stdout.write(f"{created} leads created.")
        # The copies the dashboard reads: each lead's supplier place, each order's US dollars.
        moved = lead_places_refresh()
        converted = orders_refresh()
        if moved:
            self.stdout.write(f"{moved} leads took their supplier's new place.")
        if converted:
            self.stdout.write(
                f"{converted} orders had their dashboard copies (US dollars, place, chapter, event) updated."
            )
