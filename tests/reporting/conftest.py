"""Fixtures of the reporting tests: a crossing, HS codes, a focal point, an association."""

from __future__ import annotations

import pytest

from corridor.directory.models import BorderCrossing, EconomicCorridor
from corridor.reporting import services
from tests import factories


@pytest.fixture
def crossing(db):
    a = factories.ProvinceFactory(code="VN-37", name="Tay Ninh", country__code="VN")
    b = factories.ProvinceFactory(code="KH-20", name="Svay Rieng", country__code="KH")
    return BorderCrossing.objects.create(name="Moc Bai–Bavet", province_a=a, province_b=b)


@pytest.fixture
def other_crossing(db):
    a = factories.ProvinceFactory(code="TH-27", name="Sa Kaeo", country__code="TH")
    b = factories.ProvinceFactory(code="KH-1", name="Banteay Meanchey", country__code="KH")
    return BorderCrossing.objects.create(name="Aranyaprathet–Poipet", province_a=a, province_b=b)


@pytest.fixture
def sec(db):
    return EconomicCorridor.objects.create(slug="sec", name="Southern Economic Corridor")


@pytest.fixture
def rice(db):
    factories.HSCodeFactory(code="10", description="Cereals")
    return factories.HSCodeFactory(code="100630", description="Rice; semi-milled or wholly milled")


@pytest.fixture
def mango(db):
    factories.HSCodeFactory(code="08", description="Edible fruit and nuts")
    return factories.HSCodeFactory(code="080450", description="Guavas, mangoes and mangosteens")


@pytest.fixture
def ministry(db):
    return factories.OrganisationFactory(
        kind="support", name="Customs Department", support_type="ministry"
    )


@pytest.fixture
def focal_user(db, ministry):
    user = factories.UserFactory(username="focal")
    factories.MembershipFactory(user=user, organisation=ministry, role="focal_point")
    return user


@pytest.fixture
def ministry_member(db, ministry):
    """A member of the focal-point organisation without the focal-point role."""
    user = factories.UserFactory(username="clerk")
    factories.MembershipFactory(user=user, organisation=ministry, role="member")
    return user


@pytest.fixture
def association(db):
    return factories.OrganisationFactory(
        kind="support", name="Rice Exporters Association", support_type="association"
    )


@pytest.fixture
def association_user(db, association):
    user = factories.UserFactory(username="assoc")
    factories.MembershipFactory(user=user, organisation=association, role="owner")
    return user


def file_report(by, crossing=None, *, org=None, hs=None, on_behalf=False, **data):
    fields = {
        "category": "customs",
        "description": "Our truck of rice waited three days for a phytosanitary stamp.",
        "crossing": crossing,
        "hs_code": hs,
        **data,
    }
    return services.report_create(by=by, data=fields, org=org, on_behalf=on_behalf)


@pytest.fixture
def report(db, sme_owner, sme, crossing, rice):
    return file_report(sme_owner, crossing, org=sme, hs=rice, delay_days=3)


def told(user=None) -> list[tuple[str, str, str]]:
    """(recipient's email, subject, body) of each message the reporting app sent, oldest first:
    the notifications once that app is installed (their emails leave after commit), else the
    emails sent at once."""
    from django.apps import apps
    from django.core import mail

    if apps.is_installed("corridor.notifications"):
        from corridor.notifications.models import Notification

        rows = (
            Notification.objects.filter(kind__startswith="reporting.")
            .select_related("recipient")
            .order_by("id")
        )
        out = [(n.recipient.email, n.subject, n.body) for n in rows]
    else:
        out = [(m.to[0], m.subject, m.body) for m in mail.outbox]
    return [o for o in out if user is None or o[0] == user.email]


def forget_told() -> None:
    from django.apps import apps
    from django.core import mail

    mail.outbox.clear()
    if apps.is_installed("corridor.notifications"):
        from corridor.notifications.models import Notification

        Notification.objects.filter(kind__startswith="reporting.").delete()
