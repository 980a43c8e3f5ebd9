"""Two people editing the same profile or product: the second save is refused, not lost."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from corridor.directory.models import Organisation, Product
from tests import factories

pytestmark = pytest.mark.django_db


def _form_data(client: Client, url: str) -> dict[str, str]:
    """The form as the page shows it: every input's value and each select's chosen option."""
    html = client.get(url).text
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag and 'type="file"' not in tag:
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.strip()
    return data


def _clients(*users) -> list[Client]:
    out = []
    for user in users:
        c = Client()
        c.force_login(user)
        out.append(c)
    return out


def test_second_save_of_a_profile_is_refused_and_keeps_the_first(staff_user, sme_owner, sme):
    url = f"/directory/o/{sme.slug}/edit/"
    owner, staff = _clients(sme_owner, staff_user)
    mine, theirs = _form_data(owner, url), _form_data(staff, url)
    assert mine["version"] and mine["version"] == theirs["version"]
    assert owner.post(url, {**mine, "name": "Owner's name"}).status_code == 302
    response = staff.post(url, {**theirs, "name": "Staff's name"})
    assert response.status_code == 200
    assert "Someone else changed this after you opened it" in response.text
    assert Organisation.objects.get(pk=sme.pk).name == "Owner's name"
    # After a reload the edit goes through.
    fresh = _form_data(staff, url)
    assert staff.post(url, {**fresh, "name": "Staff's name"}).status_code == 302
    assert Organisation.objects.get(pk=sme.pk).name == "Staff's name"


def test_adding_a_product_meanwhile_is_not_a_conflict(sme_owner, sme):
    url = f"/directory/o/{sme.slug}/edit/"
    (owner,) = _clients(sme_owner)
    data = _form_data(owner, url)
    factories.ProductFactory(organisation=sme)  # also touches the profile's updated_at
    assert owner.post(url, {**data, "description": "New text"}).status_code == 302
    assert Organisation.objects.get(pk=sme.pk).description == "New text"


def test_second_save_of_a_product_is_refused(sme_owner, staff_user, sme):
    product = factories.ProductFactory(organisation=sme, name="Vase")
    url = f"/directory/products/{product.pk}/edit/"
    owner, staff = _clients(sme_owner, staff_user)
    mine, theirs = _form_data(owner, url), _form_data(staff, url)
    assert owner.post(url, {**mine, "name": "Tall vase"}).status_code == 302
    response = staff.post(url, {**theirs, "name": "Short vase"})
    assert response.status_code == 200
    assert Product.objects.get(pk=product.pk).name == "Tall vase"
