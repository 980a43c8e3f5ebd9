"""Product and sourcing request forms answer bad values with a form error, never a raw database
constraint, and show stored decimals without their column's zeros."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from corridor.directory.models import Product, SourcingRequest
from tests import factories


def _request_data(**values) -> dict:
    return {
        "title": "Stoneware mugs",
        "currency": "USD",
        "frequency": "once",
        "status": "open",
    } | values


def _errors_of(response) -> str:
    return response.context["form"].errors.as_text()


def test_request_form_refuses_a_negative_target_price(client, buyer_org, buyer_user):
    client.force_login(buyer_user)
    response = client.post(
        f"/directory/o/{buyer_org.slug}/requests/new/", _request_data(target_price="-1")
    )
    assert response.status_code == 200
    assert "A target price is more than zero." in _errors_of(response)
    assert SourcingRequest.objects.count() == 0


def test_request_form_refuses_a_zero_quantity(client, buyer_org, buyer_user):
    client.force_login(buyer_user)
    response = client.post(
        f"/directory/o/{buyer_org.slug}/requests/new/", _request_data(quantity_amount="0")
    )
    assert "A quantity is more than zero." in _errors_of(response)


def test_request_form_refuses_a_deadline_in_the_past(client, buyer_org, buyer_user):
    client.force_login(buyer_user)
    response = client.post(
        f"/directory/o/{buyer_org.slug}/requests/new/", _request_data(deadline="2020-01-15")
    )
    assert "The deadline is in the past." in _errors_of(response)
    assert SourcingRequest.objects.count() == 0
    html = client.get(f"/directory/o/{buyer_org.slug}/requests/new/").content.decode()
    assert f'min="{timezone.localdate().isoformat()}"' in html  # the date picker agrees


def test_request_edit_keeps_a_deadline_that_has_passed_since(client, buyer_org, buyer_user):
    past = timezone.localdate() - dt.timedelta(days=3)
    req = factories.SourcingRequestFactory(buyer=buyer_org, title="Mugs", deadline=past)
    client.force_login(buyer_user)
    form = client.get(f"/directory/requests/{req.pk}/edit/").context["form"]
    data = _request_data(title="Mugs, 500 pieces", deadline=past.isoformat())
    data["version"] = form["version"].value()
    response = client.post(f"/directory/requests/{req.pk}/edit/", data)
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.title == "Mugs, 500 pieces"


def test_product_form_price_from_above_price_to_is_a_field_error(client, sme, sme_owner):
    client.force_login(sme_owner)
    response = client.post(
        f"/directory/o/{sme.slug}/products/new/",
        {
            "name": "Teapot",
            "currency": "USD",
            "capacity_period": "month",
            "price_min": "12",
            "price_max": "5",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The highest price must not be below the lowest." in html
    assert "Constraint" not in html and "product_price_range_ordered" not in html
    assert response.context["form"].errors["price_max"] == [
        "The highest price must not be below the lowest."
    ]
    assert Product.objects.count() == 0


def test_product_form_shows_capacity_without_trailing_zeros(client, sme, sme_owner):
    product = factories.ProductFactory(
        organisation=sme, capacity_amount=Decimal("900.000"), price_min=Decimal("12.50")
    )
    client.force_login(sme_owner)
    html = client.get(f"/directory/products/{product.pk}/edit/").content.decode()
    assert 'name="capacity_amount" value="900"' in html
    assert 'name="price_min" value="12.5"' in html
    assert "900.000" not in html
