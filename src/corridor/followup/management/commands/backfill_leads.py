"""`corridor backfill_leads`: leads for the connections accepted before follow-up existed."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.connections.models import Connection
from corridor.followup.services import lead_from_connection


class Command(BaseCommand):
    help = (
        "Create a lead for every accepted connection that has none yet (safe to run again: "
        "a pair that already has a lead is left as it is)."
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
        self.stdout.write(f"{created} leads created.")
