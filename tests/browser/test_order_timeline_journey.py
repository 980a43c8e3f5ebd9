"""On a phone: the supplier posts a shipment with a photo, the buyer sees it and posts the
border step. Runs once the order timelines are installed (they need followup's Order)."""

from __future__ import annotations

import io

import pytest
from django.apps import apps

if not apps.is_installed("corridor.reporting.timeline"):
    pytest.skip(
        "order timelines need followup.models.Order (not installed yet)", allow_module_level=True
    )

from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from corridor.directory.models import BorderCrossing  # noqa: E402
from corridor.followup.models import Order  # noqa: E402
from corridor.reporting.timeline.models import OrderUpdate, TimelineStep  # noqa: E402
from tests import factories  # noqa: E402
from tests.browser.conftest import login  # noqa: E402
from tests.reporting.conftest import told  # noqa: E402


def _photo(path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "orange").save(out, "JPEG")
    path.write_bytes(out.getvalue())


def test_supplier_posts_a_shipment_and_buyer_the_border_from_a_phone(
    page, live_server, tmp_path, settings
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    th = factories.CountryFactory(code="TH", name="Thailand")
    a = factories.ProvinceFactory(code="TH-27", country=th)
    b = factories.ProvinceFactory(code="KH-1", country=kh)
    crossing = BorderCrossing.objects.create(
        name="Aranyaprathet–Poipet", province_a=a, province_b=b
    )
    supplier = factories.OrganisationFactory(kind="sme", name="Kampot Pepper Farm", country=kh)
    buyer = factories.OrganisationFactory(kind="buyer", name="Bangkok Spice Trading", country=th)
    seller = factories.UserFactory(username="pepper")
    factories.MembershipFactory(user=seller, organisation=supplier, role="owner")
    purchaser = factories.UserFactory(username="spice")
    factories.MembershipFactory(user=purchaser, organisation=buyer, role="member")
    order = Order.objects.create(
        supplier=supplier, buyer=buyer, ordered_on=timezone.localdate(), created_by=seller
    )

    login(page, live_server, seller)
    page.goto("/reporting/orders/")
    page.get_by_role("link", name=f"Order {order.pk}").click()
    page.select_option("#id_step", "shipped:1")
    page.select_option("#id_crossing", str(crossing.pk))
    page.select_option("#id_transport_mode", "road")
    photo = tmp_path / "truck.jpg"
    _photo(photo)
    page.set_input_files("#id_photo", str(photo))
    page.fill("#id_note", "Two pallets on the truck.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    shipped = page.locator('#steps li[data-step="shipped"]')
    assert "✔" in shipped.inner_text()
    assert "Aranyaprathet–Poipet" in shipped.inner_text()
    update = OrderUpdate.objects.get(note="Two pallets on the truck.")
    assert update.photo
    assert [t[0] for t in told()] == [purchaser.email]
    page.locator("header form button.link").click()
    page.wait_for_load_state()

    login(page, live_server, purchaser)
    page.goto(f"/reporting/orders/{order.pk}/")
    assert "Two pallets on the truck." in page.locator("#updates").inner_text()
    page.select_option("#id_step", "at_border:1")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    step = TimelineStep.objects.get(timeline__order=order, kind="at_border")
    assert step.actual_on == timezone.localdate()
    assert [t[0] for t in told()][-1] == seller.email
