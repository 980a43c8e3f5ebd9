"""The "also seen" points of issue #8 (decisions in docs/security.md)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.directory import services
from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories
from tests.api.conftest import assert_error, bearer_client

pytestmark = pytest.mark.django_db


def test_api_q_uses_the_full_text_index_not_substrings():
    a = factories.OrganisationFactory(name="Fair Price Traders", is_published=True)
    b = factories.OrganisationFactory(name="Mekong Rice Mill", is_published=True)
    reindex_organisations([a.pk, b.pk])
    from django.test import Client

    names = [i["name"] for i in Client().get("/api/v1/organisations?q=rice").json()["items"]]
    assert names == ["Mekong Rice Mill"]


def test_names_of_only_spaces_are_refused_by_the_api(sme, sme_owner):
    r = bearer_client(sme_owner).patch(
        f"/api/v1/organisations/{sme.pk}",
        json.dumps({"name": "   "}),
        content_type="application/json",
    )
    assert_error(r, 422, "validation_error")
    assert Organisation.objects.get(pk=sme.pk).name.strip()


def test_certificate_dates_must_be_sane(sme, sme_owner):
    for bad in (datetime.date(1, 1, 1), datetime.date(9999, 12, 31)):
        with pytest.raises(ValidationError):
            services.certification_create(
                org=sme, by=sme_owner, data={"kind": "organic", "valid_until": bad}
            )
    ok = timezone.localdate() + datetime.timedelta(days=365)
    cert = services.certification_create(
        org=sme, by=sme_owner, data={"kind": "organic", "valid_until": ok}
    )
    assert cert.valid_until == ok


def test_a_rename_by_the_owner_drops_the_verified_badge(sme, sme_owner, staff_user):
    Organisation.objects.filter(pk=sme.pk).update(
        verified_at=timezone.now(), verified_by=staff_user
    )
    sme.refresh_from_db()
    services.organisation_update(org=sme, by=staff_user, data={"name": "Staff correction"})
    assert Organisation.objects.get(pk=sme.pk).is_verified  # staff keep it
    sme.refresh_from_db()
    services.organisation_update(org=sme, by=sme_owner, data={"description": "new text"})
    assert Organisation.objects.get(pk=sme.pk).is_verified  # other edits keep it
    sme.refresh_from_db()
    services.organisation_update(org=sme, by=sme_owner, data={"name": "Another company"})
    assert not Organisation.objects.get(pk=sme.pk).is_verified


def test_coordinator_not_party_to_a_members_connection_does_not_see_the_buyers_email(
    sme, coordinator, buyer_org
):
    from corridor.accounts import permissions
    from corridor.connections.models import Connection

    factories.ConnectionFactory(from_org=sme, to_org=buyer_org, status=Connection.Status.ACCEPTED)
    assert not permissions.can_see_contacts(coordinator, buyer_org)
    r = bearer_client(coordinator).get(f"/api/v1/organisations/{buyer_org.pk}")
    assert r.status_code in (200, 404)
    if r.status_code == 200:
        assert r.json()["email"] is None
