"""ETag / If-Match: an API client cannot overwrite a change it has not seen."""

from __future__ import annotations

import json

import pytest

from corridor.directory.models import Organisation, Product
from tests import factories
from tests.api.conftest import assert_error, bearer_client

pytestmark = pytest.mark.django_db


def _patch(client, url: str, body: dict, **headers):
    return client.patch(url, json.dumps(body), content_type="application/json", headers=headers)


def test_organisation_patch_with_a_stale_etag_is_refused_and_changes_nothing(
    sme_owner, staff_user, sme
):
    url = f"/api/v1/organisations/{sme.pk}"
    owner, staff = bearer_client(sme_owner), bearer_client(staff_user)
    tag = owner.get(url).headers["ETag"]
    assert tag == staff.get(url).headers["ETag"]
    first = _patch(staff, url, {"description": "Staff's text"}, if_match=tag)
    assert first.status_code == 200
    assert first.headers["ETag"] != tag
    stale = _patch(owner, url, {"description": "Owner's text"}, if_match=tag)
    assert_error(stale, 412, "precondition_failed")
    assert Organisation.objects.get(pk=sme.pk).description == "Staff's text"
    fresh = _patch(owner, url, {"description": "Owner's text"}, if_match=first.headers["ETag"])
    assert fresh.status_code == 200
    assert Organisation.objects.get(pk=sme.pk).description == "Owner's text"


def test_patch_without_if_match_is_not_checked_and_star_matches(sme_owner, sme):
    url = f"/api/v1/organisations/{sme.pk}"
    client = bearer_client(sme_owner)
    assert _patch(client, url, {"description": "a"}).status_code == 200
    assert _patch(client, url, {"description": "b"}, if_match="*").status_code == 200
    assert Organisation.objects.get(pk=sme.pk).description == "b"


def test_product_etag_ignores_changes_elsewhere_but_not_to_the_product(sme_owner, sme):
    product = factories.ProductFactory(organisation=sme, name="Vase")
    url = f"/api/v1/products/{product.pk}"
    client = bearer_client(sme_owner)
    tag = client.get(url).headers["ETag"]
    factories.ProductFactory(organisation=sme)  # another product: not this one's business
    assert client.get(url).headers["ETag"] == tag
    Product.objects.filter(pk=product.pk).update(name="Tall vase")
    assert_error(
        _patch(client, url, {"name": "Short vase"}, if_match=tag), 412, "precondition_failed"
    )
    assert Product.objects.get(pk=product.pk).name == "Tall vase"


def test_stale_etag_does_not_reveal_anything_to_who_may_not_edit(stranger, sme):
    url = f"/api/v1/organisations/{sme.pk}"
    response = _patch(bearer_client(stranger), url, {"description": "x"}, if_match='"0"')
    assert_error(response, 403, "forbidden")
