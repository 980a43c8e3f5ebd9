"""Directory services: permission checks, validation, and the search index kept in step."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corridor.directory import selectors, services
from corridor.directory.models import Organisation
from corridor.directory.search import reindex_organisations
from tests import factories

pytestmark = pytest.mark.django_db


def _hits(q="", **filters):
    return [
        o.name for o in selectors.search_organisations(AnonymousUser(), q, filters).organisations
    ]


def test_product_create_indexes_and_touches_organisation(sme, sme_owner):
    before = sme.updated_at
    services.product_create(org=sme, by=sme_owner, data={"name": "Lacquer box"})
    sme.refresh_from_db()
    assert sme.updated_at > before
    assert _hits("lacquer") == [sme.name]


def test_product_update_and_delete_reindex(sme, sme_owner):
    product = services.product_create(org=sme, by=sme_owner, data={"name": "Lacquer box"})
    services.product_update(product=product, by=sme_owner, data={"name": "Silk scarf"})
    assert _hits("lacquer") == []
    assert _hits("silk") == [sme.name]
    services.product_delete(product=product, by=sme_owner)
    assert _hits("silk") == []


def test_product_create_denied_to_stranger(sme, stranger):
    with pytest.raises(PermissionDenied):
        services.product_create(org=sme, by=stranger, data={"name": "X"})
    assert sme.products.count() == 0


def test_certification_counts_until_expiry(sme, sme_owner):
    cert = services.certification_create(org=sme, by=sme_owner, data={"kind": "halal"})
    reindex_organisations([sme.pk])
    assert _hits(cert="halal") == [sme.name]
    yesterday = timezone.localdate() - timedelta(days=1)
    services.certification_update(cert=cert, by=sme_owner, data={"valid_until": yesterday})
    assert _hits(cert="halal") == []


def test_certification_for_product_of_other_org_refused(sme, sme_owner, other_sme):
    foreign = factories.ProductFactory(organisation=other_sme)
    with pytest.raises(ValidationError):
        services.certification_create(
            org=sme, by=sme_owner, data={"kind": "gap", "product": foreign}
        )


def test_organisation_update_of_cluster_refreshes_member_facets(cluster, sme, staff_user):
    reindex_organisations([cluster.pk, sme.pk])
    services.organisation_update(org=cluster, by=staff_user, data={"name": "Renamed cluster"})
    results = selectors.search_organisations(AnonymousUser(), "", {"cluster": str(cluster.pk)})
    assert [v.label for v in results.facets["cluster"]] == ["Renamed cluster"]


def test_a_cluster_saved_under_the_same_names_leaves_its_members_index_alone(
    cluster, sme, staff_user
):
    Organisation.objects.filter(pk=sme.pk).update(search_text="kept")

    services.organisation_update(org=cluster, by=staff_user, data={"website": "https://bt.vn"})
    kept = Organisation.objects.get(pk=sme.pk).search_text
    services.organisation_update(org=cluster, by=staff_user, data={"local_name": "Bát Tràng"})

    assert kept == "kept"
    assert "trang" in Organisation.objects.get(pk=sme.pk).search_text.split()


def test_organisation_update_refuses_province_of_other_country(sme, staff_user):
    other = factories.ProvinceFactory(country=factories.CountryFactory(code="LA"))
    with pytest.raises(ValidationError):
        services.organisation_update(org=sme, by=staff_user, data={"province": other})


def test_organisation_delete_removes_from_index(sme, sme_owner):
    reindex_organisations([sme.pk])
    name = sme.name
    assert _hits(name) == [name]
    services.organisation_delete(org=sme, by=sme_owner)
    assert not Organisation.objects.filter(name=name).exists()
    assert _hits(name) == []


def test_organisation_create_by_staff_is_private_and_unowned(staff_user, country_vn):
    org = services.organisation_create(
        by=staff_user,
        data={"kind": "buyer", "name": "Saigon Foods", "country": country_vn, "is_published": True},
    )
    assert org.is_published is False
    assert org.memberships.count() == 0


def test_sourcing_request_only_for_buyers(sme, sme_owner):
    with pytest.raises(ValidationError):
        services.sourcing_request_create(buyer=sme, by=sme_owner, data={"title": "Rice"})


def test_contact_person_crud(sme, sme_owner, stranger):
    contact = services.contact_person_create(org=sme, by=sme_owner, data={"name": "Ms Hoa"})
    with pytest.raises(PermissionDenied):
        services.contact_person_update(contact=contact, by=stranger, data={"name": "X"})
    services.contact_person_update(contact=contact, by=sme_owner, data={"position": "CEO"})
    contact.refresh_from_db()
    assert (contact.name, contact.position) == ("Ms Hoa", "CEO")
    services.contact_person_delete(contact=contact, by=sme_owner)
    assert sme.contacts.count() == 0
