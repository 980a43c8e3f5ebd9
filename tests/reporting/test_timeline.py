"""Order timelines: who may post on which order, steps and shipments, domestic orders without
border steps, cancellation, late flags, the other side told, photos private, the API.

Runs once `corridor.reporting.timeline` is installed (it needs followup's Order)."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.apps import apps

if not apps.is_installed("corridor.reporting.timeline"):
    pytest.skip(
        "order timelines need followup.models.Order (not installed yet)", allow_module_level=True
    )

from django.core.cache import cache  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from corridor.followup.models import Order  # noqa: E402
from corridor.reporting.timeline import services  # noqa: E402
from corridor.reporting.timeline.models import OrderUpdate, Step, TimelineStep  # noqa: E402
from tests import factories  # noqa: E402
from tests.api.conftest import assert_error, bearer_client  # noqa: E402
from tests.reporting.conftest import forget_told, told  # noqa: E402

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def thai_buyer(db):
    th = factories.CountryFactory(code="TH", name="Thailand")
    org = factories.OrganisationFactory(kind="buyer", name="Bangkok Foods", country=th)
    user = factories.UserFactory(username="thaibuyer")
    factories.MembershipFactory(user=user, organisation=org, role="member")
    return org, user


@pytest.fixture
def order(sme, thai_buyer, sme_owner):
    return Order.objects.create(
        supplier=sme,
        buyer=thai_buyer[0],
        ordered_on=TODAY - datetime.timedelta(days=20),
        product="Jasmine rice",
        created_by=sme_owner,
    )


def _kinds(order, shipment=None):
    timeline = services.timeline_for(order)
    qs = TimelineStep.objects.filter(timeline=timeline)
    return list(qs.values_list("kind", flat=True))


def test_cross_border_timeline_has_every_step_and_placed_is_done(order):
    assert _kinds(order) == [
        "placed",
        "in_production",
        "ready",
        "shipped",
        "at_border",
        "cleared",
        "delivered",
        "paid",
    ]
    placed = TimelineStep.objects.get(timeline__order=order, kind="placed")
    assert placed.actual_on == order.ordered_on


def test_domestic_order_skips_the_border(sme, sme_owner):
    local_buyer = factories.OrganisationFactory(kind="buyer", country=sme.country)
    order = Order.objects.create(supplier=sme, buyer=local_buyer, ordered_on=TODAY)
    assert "at_border" not in _kinds(order) and "cleared" not in _kinds(order)
    with pytest.raises(ValidationError) as exc:
        services.step_record(order=order, by=sme_owner, kind="at_border", actual_on=TODAY)
    assert exc.value.message_dict["step"] == ["A domestic order does not cross a border."]


def test_who_may_post_on_which_order(order, sme_owner, thai_buyer, stranger, staff_user, other_sme):
    outsider = factories.UserFactory(username="othersme")
    factories.MembershipFactory(user=outsider, organisation=other_sme, role="owner")
    for user in (stranger, outsider):
        with pytest.raises(PermissionDenied):
            services.step_record(order=order, by=user, kind="ready", actual_on=TODAY)
    assert (
        services.step_record(order=order, by=sme_owner, kind="ready", actual_on=TODAY).side
        == "supplier"
    )
    assert services.step_record(order=order, by=thai_buyer[1], note="Received docs").side == "buyer"
    assert services.step_record(order=order, by=staff_user, note="Checked").side == "staff"


def test_the_other_side_is_told(order, sme_owner, thai_buyer):
    services.timeline_for(order)
    forget_told()
    services.step_record(
        order=order, by=sme_owner, kind="shipped", actual_on=TODAY, note="Truck left Takeo."
    )
    assert [t[0] for t in told()] == [thai_buyer[1].email]
    assert told()[0][1] == f"Order {order.pk} was updated"
    assert "Truck left Takeo." in told()[0][2]
    forget_told()
    services.step_record(order=order, by=thai_buyer[1], kind="delivered", actual_on=TODAY)
    assert [t[0] for t in told()] == [sme_owner.email]


def test_a_late_step_is_flagged_to_both_sides_and_staff_once(
    order, sme_owner, thai_buyer, staff_user
):
    services.step_record(order=order, by=sme_owner, kind="ready", note="soon")
    forget_told()
    # Expected five days ago and not done: late.
    services.step_record(
        order=order, by=sme_owner, kind="ready", expected_on=TODAY - datetime.timedelta(days=5)
    )
    late = [t for t in told() if "is late" in t[1]]
    assert sorted(t[0] for t in late) == sorted(
        [sme_owner.email, thai_buyer[1].email, staff_user.email]
    )
    forget_told()
    services.step_record(order=order, by=sme_owner, kind="ready", actual_on=TODAY)
    assert [t for t in told() if "is late" in t[1]] == []
    step = TimelineStep.objects.get(timeline__order=order, kind="ready")
    assert step.is_late is True  # done after the expected date: still shown late


def test_done_after_the_expected_date_is_flagged(order, sme_owner, thai_buyer):
    yesterday = TODAY - datetime.timedelta(days=1)
    services.step_record(order=order, by=sme_owner, kind="ready", expected_on=TODAY)
    forget_told()
    services.step_record(
        order=order, by=sme_owner, kind="ready", actual_on=TODAY, expected_on=yesterday
    )
    assert any("is late" in t[1] and t[0] == thai_buyer[1].email for t in told())


def test_nightly_flags_steps_past_their_expected_date(order, sme_owner):
    services.step_record(
        order=order, by=sme_owner, kind="cleared", expected_on=TODAY + datetime.timedelta(days=1)
    )
    assert services.steps_flag_late() == 0
    assert (
        services.steps_flag_late(today=TODAY + datetime.timedelta(days=3)) == 0
    )  # is_late uses today
    TimelineStep.objects.filter(timeline__order=order, kind="cleared").update(
        expected_on=TODAY - datetime.timedelta(days=1)
    )
    assert services.steps_flag_late() == 1
    assert services.steps_flag_late() == 0


def test_partial_shipments_have_their_own_steps(order, sme_owner):
    services.step_record(order=order, by=sme_owner, kind="shipped", actual_on=TODAY)
    second = services.shipment_add(order=order, by=sme_owner)
    assert second.number == 2
    update = services.step_record(
        order=order, by=sme_owner, kind="shipped", shipment_number=1, note="x"
    )
    assert update.step.shipment.number == 1
    update = services.step_record(order=order, by=sme_owner, kind="delivered", actual_on=TODAY)
    assert update.step.shipment.number == 2  # default: the last shipment
    assert TimelineStep.objects.filter(timeline__order=order, kind="shipped").count() == 2


def test_shipped_records_crossing_and_transport(order, sme_owner):
    from corridor.directory.models import BorderCrossing

    a = factories.ProvinceFactory(code="KH-20", country__code="KH")
    b = factories.ProvinceFactory(code="VN-37", country__code="VN")
    crossing = BorderCrossing.objects.create(name="Moc Bai–Bavet", province_a=a, province_b=b)
    update = services.step_record(
        order=order,
        by=sme_owner,
        kind="shipped",
        actual_on=TODAY,
        crossing=crossing,
        transport_mode="road",
    )
    assert (update.step.shipment.crossing, update.step.shipment.transport_mode) == (
        crossing,
        "road",
    )


def test_cancel_needs_a_reason_and_stops_updates(order, sme_owner, thai_buyer):
    with pytest.raises(ValidationError):
        services.order_cancel(order=order, by=thai_buyer[1], reason="  ")
    services.order_cancel(order=order, by=thai_buyer[1], reason="Harvest failed")
    with pytest.raises(ValidationError):
        services.step_record(order=order, by=sme_owner, kind="ready", actual_on=TODAY)
    assert "Harvest failed" in told(sme_owner)[-1][2]


def test_bad_dates_are_refused_with_specific_errors(order, sme_owner):
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            order=order, by=sme_owner, kind="ready", actual_on=TODAY + datetime.timedelta(days=1)
        )
    assert exc.value.message_dict == {"actual_on": ["A step cannot be done in the future."]}
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            order=order,
            by=sme_owner,
            kind="ready",
            actual_on=order.ordered_on - datetime.timedelta(days=1),
        )
    assert exc.value.message_dict == {"actual_on": ["That is before the order was placed."]}


def _jpeg_with_location() -> bytes:
    image = Image.new("RGB", (2400, 1800), "green")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (13.0, 45.0, 0.0)}  # GPSInfo: where the phone was
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_shrunk_stripped_and_private(
    order, sme_owner, thai_buyer, stranger, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    upload = SimpleUploadedFile("truck.jpg", _jpeg_with_location(), content_type="image/jpeg")
    update = services.step_record(
        order=order, by=sme_owner, kind="shipped", actual_on=TODAY, photo=upload
    )
    with Image.open(update.photo.path) as stored:
        assert max(stored.size) == 1600
        assert stored.getexif().get(0x8825) is None
    assert str(tmp_path / "private") in update.photo.path
    url = f"/reporting/orders/files/{update.pk}/photo/"
    buyer = Client()
    buyer.force_login(thai_buyer[1])
    response = buyer.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    # Reading the stream to its end closes the file (the test client wraps it).
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    outsider = Client()
    outsider.force_login(stranger)
    assert outsider.get(url).status_code == 404


def test_document_must_really_be_a_pdf_or_image(order, sme_owner, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    fake = SimpleUploadedFile(
        "invoice.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as exc:
        services.step_record(order=order, by=sme_owner, note="invoice", document=fake)
    assert exc.value.message_dict == {"document": ["Only PDF, JPEG or PNG documents are accepted."]}
    pdf = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4\n%...", content_type="application/pdf")
    update = services.step_record(order=order, by=sme_owner, note="invoice", document=pdf)
    assert update.document_name == "invoice.pdf"
    assert update.document.name.endswith(".pdf")


def test_order_pages_permissions(order, sme_owner, stranger):
    outsider = Client()
    outsider.force_login(stranger)
    assert outsider.get(f"/reporting/orders/{order.pk}/").status_code == 404
    assert outsider.post(f"/reporting/orders/{order.pk}/update/", {"note": "x"}).status_code == 404
    assert outsider.get("/reporting/orders/").content.decode().count("Jasmine") == 0
    owner = Client()
    owner.force_login(sme_owner)
    assert owner.get(f"/reporting/orders/{order.pk}/").status_code == 200
    response = owner.post(
        f"/reporting/orders/{order.pk}/update/", {"step": "ready", "actual_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    assert TimelineStep.objects.get(timeline__order=order, kind="ready").actual_on == TODAY


def test_api_order_update_is_idempotent_and_permission_checked(order, sme_owner, stranger):
    url = f"/api/v1/orders/{order.pk}/updates"
    body = {"step": "in_production", "actual_on": TODAY.isoformat(), "note": "Milling started"}
    client = bearer_client(sme_owner)
    headers = {"Idempotency-Key": "u-1"}
    first = client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    again = client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert OrderUpdate.objects.filter(timeline__order=order).count() == 1
    other = client.post(
        url,
        json.dumps({**body, "note": "changed"}),
        content_type="application/json",
        headers=headers,
    )
    assert_error(other, 422, "idempotency_key_reused")
    refused = bearer_client(stranger).post(
        url, json.dumps(body), content_type="application/json", headers={"Idempotency-Key": "s"}
    )
    assert_error(refused, 404, "not_found")
    assert first.json()["step"]["step"] == Step.IN_PRODUCTION


def test_timeline_demo_has_an_order_in_progress_and_a_late_one(db):
    from io import StringIO

    from django.conf import settings
    from django.test import override_settings

    from corridor.directory.demo import load_demo
    from corridor.reporting.demo import load_reporting_demo

    with override_settings(CORRIDOR={**settings.CORRIDOR, "EMBEDDER": "hash"}):
        load_demo(stdout=StringIO())
    load_reporting_demo()
    timelines = list(Order.objects.filter(supplier__slug="demo-hoa-sen-bat-trang-ceramics"))
    assert len(timelines) == 3
    late = [o for o in timelines if any(s.is_late for s in o.timeline.steps.all())]
    assert len(late) == 1
    assert told() == []
    load_reporting_demo()
    assert Order.objects.count() == 3


def test_a_report_names_the_order_it_hit_only_for_a_side_of_the_order(
    order, sme_owner, sme, stranger
):
    from corridor.directory.models import BorderCrossing
    from corridor.reporting.models import BottleneckReport
    from corridor.reporting.services import report_create

    a = factories.ProvinceFactory(code="KH-20", country__code="KH")
    b = factories.ProvinceFactory(code="TH-27", country__code="TH")
    crossing = BorderCrossing.objects.create(name="Poipet", province_a=a, province_b=b)
    data = {"category": "customs", "description": "Held at Poipet.", "crossing": crossing}
    report = report_create(by=sme_owner, data=data, org=sme, order=order)
    assert report.order_link.order == order
    with pytest.raises(PermissionDenied):
        report_create(by=stranger, data=data, order=order)
    assert BottleneckReport.objects.count() == 1
    owner = Client()
    owner.force_login(sme_owner)
    page = owner.get(f"/reporting/orders/{order.pk}/").content.decode()
    assert f'href="/reporting/{report.pk}/"' in page
    response = bearer_client(sme_owner).post(
        "/api/v1/reports",
        json.dumps(
            {
                "category": "payment",
                "description": "Unpaid",
                "crossing_id": crossing.pk,
                "order_id": order.pk,
            }
        ),
        content_type="application/json",
        headers={"Idempotency-Key": "o-1"},
    )
    assert response.status_code == 201
    assert BottleneckReport.objects.get(pk=response.json()["id"]).order_link.order == order


def test_order_entered_by_hand_by_its_supplier_gets_a_timeline(
    sme, sme_owner, thai_buyer, stranger
):
    owner = Client()
    owner.force_login(sme_owner)
    response = owner.post(
        "/reporting/orders/new/",
        {
            "supplier": sme.pk,
            "buyer": thai_buyer[0].pk,
            "ordered_on": TODAY.isoformat(),
            "product": "Jasmine rice",
            "value": "1200",
            "currency": "USD",
        },
    )
    order = Order.objects.get(product="Jasmine rice")
    assert response.status_code == 302
    assert response["Location"] == f"/reporting/orders/{order.pk}/"
    assert order.timeline.steps.filter(kind="placed", actual_on=TODAY).count() == 1
    # Someone who acts for no supplier cannot enter orders.
    outsider = Client()
    outsider.force_login(stranger)
    assert outsider.get("/reporting/orders/new/").status_code == 403
    # A supplier cannot enter an order for an organisation it does not act for.
    response = owner.post(
        "/reporting/orders/new/",
        {
            "supplier": thai_buyer[0].pk,
            "buyer": sme.pk,
            "ordered_on": TODAY.isoformat(),
            "currency": "USD",
        },
    )
    assert response.status_code == 200
    assert Order.objects.count() == 1


def test_border_times_match_hand_computed_values(sme, sme_owner, thai_buyer, staff_user, stranger):
    from corridor.directory.models import BorderCrossing
    from corridor.reporting.timeline.selectors import border_times

    a = factories.ProvinceFactory(code="KH-1", country__code="KH")
    b = factories.ProvinceFactory(code="TH-27", country__code="TH")
    poipet = BorderCrossing.objects.create(name="Poipet", province_a=a, province_b=b)
    day = lambda n: TODAY - datetime.timedelta(days=n)  # noqa: E731
    # Three shipments through Poipet: 1, 2 and 6 days at the border → median 2; one late step.
    for arrived, cleared, expected in ((10, 9, 9), (20, 18, 18), (30, 24, 28)):
        order = Order.objects.create(supplier=sme, buyer=thai_buyer[0], ordered_on=day(40))
        services.step_record(
            order=order, by=sme_owner, kind="shipped", actual_on=day(arrived + 1), crossing=poipet
        )
        services.step_record(
            order=order, by=thai_buyer[1], kind="at_border", actual_on=day(arrived)
        )
        services.step_record(
            order=order,
            by=thai_buyer[1],
            kind="cleared",
            actual_on=day(cleared),
            expected_on=day(expected),
        )
    (row,) = border_times()
    assert (row.crossing, row.shipments, row.cleared, row.median_days, row.late_steps) == (
        "Poipet",
        3,
        3,
        2,
        1,
    )
    staff = Client()
    staff.force_login(staff_user)
    page = staff.get("/reporting/orders/border-times/").content.decode()
    assert "Poipet — 2 days" in page  # the chart's bar label
    assert "<svg" in page
    outsider = Client()
    outsider.force_login(stranger)
    assert outsider.get("/reporting/orders/border-times/").status_code == 403


def test_strangers_cannot_cancel_add_shipments_or_download(order, sme_owner, stranger):
    update = services.step_record(order=order, by=sme_owner, note="Invoice sent")
    outsider = Client()
    outsider.force_login(stranger)
    assert (
        outsider.post(f"/reporting/orders/{order.pk}/cancel/", {"reason": "x"}).status_code == 404
    )
    assert outsider.post(f"/reporting/orders/{order.pk}/shipment/").status_code == 404
    assert outsider.get(f"/reporting/orders/files/{update.pk}/document/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.order_cancel(order=order, by=stranger, reason="x")
    with pytest.raises(PermissionDenied):
        services.shipment_add(order=order, by=stranger)
    order.timeline.refresh_from_db()
    assert order.timeline.is_cancelled is False
    assert order.timeline.shipments.count() == 1


def test_order_page_query_count_does_not_grow_with_updates(
    order, sme_owner, django_assert_max_num_queries
):
    for i in range(12):
        services.step_record(order=order, by=sme_owner, note=f"note {i}")
    client = Client()
    client.force_login(sme_owner)
    with django_assert_max_num_queries(20):
        assert client.get(f"/reporting/orders/{order.pk}/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get("/reporting/orders/").status_code == 200


def test_api_timeline_read(order, sme_owner, thai_buyer, stranger):
    services.step_record(
        order=order, by=sme_owner, kind="ready", expected_on=TODAY - datetime.timedelta(days=1)
    )
    body = bearer_client(thai_buyer[1]).get(f"/api/v1/orders/{order.pk}/timeline").json()
    assert body["domestic"] is False
    assert [s["step"] for s in body["steps"]] == [
        "placed",
        "in_production",
        "ready",
        "shipped",
        "at_border",
        "cleared",
        "delivered",
        "paid",
    ]
    ready = next(s for s in body["steps"] if s["step"] == "ready")
    assert ready["late"] is True
    assert body["shipments"] == [{"number": 1, "crossing": None, "transport_mode": ""}]
    assert_error(
        bearer_client(stranger).get(f"/api/v1/orders/{order.pk}/timeline"), 404, "not_found"
    )
