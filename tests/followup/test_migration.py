"""Migration 0004 fills the dashboard's copies of existing leads and orders."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("followup", "0003_events_meetings_and_plans")]
AFTER = [("followup", "0004_dashboard_copies_and_retired_steps")]


@pytest.mark.django_db(transaction=True)
def test_existing_leads_and_orders_get_their_copies():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Country = apps.get_model("directory", "Country")
    Organisation = apps.get_model("directory", "Organisation")
    vn = Country.objects.create(code="VN", name="Viet Nam")
    cluster = Organisation.objects.create(kind="cluster", name="C", slug="c", country=vn)
    sme = Organisation.objects.create(kind="sme", name="S", slug="s", country=vn, cluster=cluster)
    buyer = Organisation.objects.create(kind="buyer", name="B", slug="b", country=vn)
    now = datetime.datetime.now(datetime.UTC)
    lead = apps.get_model("followup", "Lead").objects.create(
        supplier=sme, buyer=buyer, stage="met", started_on=now.date(), stage_changed_at=now,
        hs_chapter="69",
    )  # fmt: skip
    apps.get_model("followup", "ExchangeRate").objects.create(
        currency="THB", valid_from=datetime.date(2025, 1, 1), usd_per_unit=Decimal("0.03")
    )
    apps.get_model("followup", "Order").objects.create(
        lead=lead, supplier=sme, buyer=buyer, ordered_on=datetime.date(2025, 2, 1),
        value=Decimal("10000"), currency="THB",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    lead = apps.get_model("followup", "Lead").objects.get()
    order = apps.get_model("followup", "Order").objects.get()
    assert (lead.supplier_country, lead.supplier_cluster_id) == ("VN", cluster.pk)
    assert (order.value_usd, order.supplier_cluster_id, order.hs_chapter) == (
        Decimal("300.00"),
        cluster.pk,
        "69",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
