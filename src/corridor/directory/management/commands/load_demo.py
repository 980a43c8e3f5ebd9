"""`corridor load_demo`: reference data and the demo directory of the 2014 forum, then logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from corridor.directory.demo import load_demo, login_box
from corridor.events.demo import load_event_demo
from corridor.followup.demo import load_followup_demo
from corridor.reporting.demo import load_reporting_demo
from corridor.training.demo import load_training_demo


class Command(BaseCommand):
    help = (
        "Load the reference data (countries, provinces, HS codes) and the demo directory: 16 "
        "SME clusters with their members, buyers with sourcing requests, support organisations "
        "and four users. Safe to run again: it only adds what is missing."
    )

    def handle(self, *args, **options) -> None:
        load_demo(stdout=self.stdout)
        load_event_demo(stdout=self.stdout)
        load_followup_demo(stdout=self.stdout)
        load_reporting_demo(stdout=self.stdout)
        load_training_demo(stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(login_box())
