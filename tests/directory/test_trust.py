"""Trust: verification, publication consent, claims, merging duplicates, staff history."""

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from corridor.accounts.models import ClaimRequest, ConsentRecord, Membership
from corridor.accounts.services import audit_actor
from corridor.connections.models import Connection
from corridor.directory import trust
from tests import factories

pytestmark = pytest.mark.django_db


# --- Verification ------------------------------------------------------------------------------


def test_verify_by_staff_sets_badge(sme, staff_user):
    trust.organisation_verify(org=sme, by=staff_user)
    sme.refresh_from_db()
    assert (sme.is_verified, sme.verified_by) == (True, staff_user)
    trust.organisation_unverify(org=sme, by=staff_user)
    sme.refresh_from_db()
    assert sme.is_verified is False


def test_verify_denied_to_owner(sme, sme_owner):
    with pytest.raises(PermissionDenied):
        trust.organisation_verify(org=sme, by=sme_owner)


def test_verify_view_staff_only(client, sme, sme_owner, staff_user):
    client.force_login(sme_owner)
    assert client.post(f"/directory/trust/{sme.slug}/verify/").status_code == 403
    client.force_login(staff_user)
    assert client.post(f"/directory/trust/{sme.slug}/verify/").status_code == 302
    sme.refresh_from_db()
    assert sme.is_verified is True


# --- Consent -----------------------------------------------------------------------------------


def test_owner_publishes_and_unpublishes_with_records(sme, sme_owner):
    sme.is_published = False
    sme.save()
    trust.organisation_publish(org=sme, by=sme_owner)
    sme.refresh_from_db()
    assert sme.is_published is True
    trust.organisation_unpublish(org=sme, by=sme_owner)
    sme.refresh_from_db()
    assert sme.is_published is False
    assert list(ConsentRecord.objects.order_by("pk").values_list("published", "by")) == [
        (True, sme_owner.pk),
        (False, sme_owner.pk),
    ]


def test_publish_denied_to_stranger_and_member_role(sme, stranger):
    member = factories.UserFactory()
    factories.MembershipFactory(user=member, organisation=sme, role="member")
    for user in (stranger, member):
        with pytest.raises(PermissionDenied):
            trust.organisation_publish(org=sme, by=user)


def test_staff_publish_requires_consent_note(sme, staff_user):
    sme.is_published = False
    sme.save()
    with pytest.raises(ValidationError):
        trust.organisation_publish(org=sme, by=staff_user)
    trust.organisation_publish(org=sme, by=staff_user, note="Signed form, 3 March")
    assert ConsentRecord.objects.get().note == "Signed form, 3 March"


def test_publish_view_owner_toggles(client, sme, sme_owner):
    client.force_login(sme_owner)
    client.post(f"/directory/trust/{sme.slug}/publish/", {"publish": "0"})
    sme.refresh_from_db()
    assert sme.is_published is False
    client.post(f"/directory/trust/{sme.slug}/publish/", {"publish": "1"})
    sme.refresh_from_db()
    assert sme.is_published is True


def test_publish_view_denied_to_others(client, sme, buyer_user, coordinator):
    for user in (buyer_user, coordinator):
        client.force_login(user)
        assert (
            client.post(f"/directory/trust/{sme.slug}/publish/", {"publish": "0"}).status_code
            == 403
        )
    sme.refresh_from_db()
    assert sme.is_published is True


# --- Claims ------------------------------------------------------------------------------------


def test_claim_request_then_staff_approve(
    sme, stranger, staff_user, django_capture_on_commit_callbacks
):
    claim = trust.organisation_claim(org=sme, by=stranger, message="I run it")
    rival = trust.organisation_claim(org=sme, by=factories.UserFactory(), message="Me too")
    with django_capture_on_commit_callbacks(execute=True):
        trust.claim_approve(claim=claim, by=staff_user)
    sme.refresh_from_db()
    assert sme.is_claimed is True
    assert Membership.objects.get(user=stranger, organisation=sme).role == "owner"
    rival.refresh_from_db()
    assert rival.status == "rejected"
    assert mail.outbox[0].subject == "Your claim on Corridor was approved"


def test_claim_refused_when_already_claimed_or_pending(sme, stranger):
    trust.organisation_claim(org=sme, by=stranger)
    with pytest.raises(ValidationError) as exc:
        trust.organisation_claim(org=sme, by=stranger)
    assert exc.value.messages == ["Your claim is already waiting for staff review."]
    sme.is_claimed = True
    sme.save()
    with pytest.raises(ValidationError):
        trust.organisation_claim(org=sme, by=factories.UserFactory())


def test_claim_approve_denied_to_non_staff(sme, stranger, coordinator):
    claim = trust.organisation_claim(org=sme, by=stranger)
    with pytest.raises(PermissionDenied):
        trust.claim_approve(claim=claim, by=coordinator)
    assert Membership.objects.filter(user=stranger).count() == 0


def test_claim_views(client, sme, stranger, staff_user):
    client.force_login(stranger)
    response = client.post(f"/directory/trust/{sme.slug}/claim/", {"message": "Owner here"})
    assert response["Location"] == "/accounts/"
    claim = ClaimRequest.objects.get()
    assert client.get("/directory/trust/claims/").status_code == 403
    assert (
        client.post(
            f"/directory/trust/claims/{claim.pk}/decide/", {"decision": "approve"}
        ).status_code
        == 403
    )
    client.force_login(staff_user)
    assert b"Owner here" in client.get("/directory/trust/claims/").content
    client.post(
        f"/directory/trust/claims/{claim.pk}/decide/", {"decision": "reject", "note": "No proof"}
    )
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note) == ("rejected", "No proof")


def test_claim_view_private_profile_404(client, sme, stranger):
    sme.is_published = False
    sme.save()
    client.force_login(stranger)
    assert client.get(f"/directory/trust/{sme.slug}/claim/").status_code == 404


def test_claims_queue_query_count(client, staff_user, django_assert_num_queries):
    for _ in range(4):
        trust.organisation_claim(org=factories.OrganisationFactory(), by=factories.UserFactory())
    client.force_login(staff_user)
    client.get("/directory/trust/claims/")
    with django_assert_num_queries(5):  # session, user, count, page, unread notifications
        client.get("/directory/trust/claims/")


# --- Merge -------------------------------------------------------------------------------------


def test_merge_moves_everything_and_keeps_history(staff_user, cluster):
    survivor = factories.OrganisationFactory(name="Hoa Binh Silk", website="")
    duplicate = factories.OrganisationFactory(
        name="Hoa Binh Silk Co", website="https://silk.example", is_published=True
    )
    factories.ProductFactory(organisation=duplicate, name="Scarf")
    factories.CertificationFactory(organisation=duplicate)
    factories.ContactPersonFactory(organisation=duplicate)
    factories.SourcingRequestFactory(buyer=duplicate)
    owner = factories.UserFactory()
    factories.MembershipFactory(user=owner, organisation=duplicate, role="owner")
    both = factories.UserFactory()
    factories.MembershipFactory(user=both, organisation=survivor, role="member")
    factories.MembershipFactory(user=both, organisation=duplicate, role="owner")
    partner = factories.OrganisationFactory()
    factories.ConnectionFactory(from_org=duplicate, to_org=partner, status="accepted")
    factories.ConnectionFactory(from_org=survivor, to_org=partner, status="requested")
    factories.ConnectionFactory(from_org=survivor, to_org=duplicate, status="accepted")

    preview = trust.organisation_merge_preview(survivor=survivor, duplicate=duplicate)
    assert preview.problems == []
    assert preview.counts["products"] == 1 and preview.counts["connections"] == 2
    assert preview.filled == ["website"]

    summary = trust.organisation_merge(survivor=survivor, duplicate=duplicate, by=staff_user)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert (duplicate.merged_into, duplicate.is_published) == (survivor, False)
    assert [p.name for p in survivor.products.all()] == ["Scarf"]
    assert survivor.certifications.count() == 1 and survivor.contacts.count() == 1
    assert survivor.sourcing_requests.count() == 1
    assert survivor.website == "https://silk.example"
    assert Membership.objects.get(user=owner).organisation == survivor
    assert Membership.objects.get(user=both).role == "owner"
    assert duplicate.memberships.count() == 0
    # The accepted connection wins over the pending one; the self-connection is gone.
    statuses = sorted(Connection.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "withdrawn"]
    assert Connection.objects.filter(status="accepted", to_org=partner).get().from_org == survivor
    assert summary["products"] == 1
    entry = LogEntry.objects.filter(object_pk=str(survivor.pk), additional_data__isnull=False).get()
    assert entry.actor == staff_user and entry.additional_data["merge"]["duplicate"] == duplicate.pk
    product_moves = LogEntry.objects.filter(content_type__model="product", action=1)
    assert product_moves.get().actor == staff_user


def test_merge_moves_cluster_members(staff_user, cluster, sme):
    other_cluster = factories.OrganisationFactory(kind="cluster")
    trust.organisation_merge(survivor=other_cluster, duplicate=cluster, by=staff_user)
    sme.refresh_from_db()
    assert sme.cluster == other_cluster


def test_merge_refuses_same_or_different_kind(staff_user, sme, buyer_org):
    with pytest.raises(ValidationError):
        trust.organisation_merge(survivor=sme, duplicate=sme, by=staff_user)
    with pytest.raises(ValidationError):
        trust.organisation_merge(survivor=sme, duplicate=buyer_org, by=staff_user)


def test_merge_denied_to_non_staff(sme, sme_owner, other_sme):
    with pytest.raises(PermissionDenied):
        trust.organisation_merge(survivor=sme, duplicate=other_sme, by=sme_owner)
    other_sme.refresh_from_db()
    assert other_sme.merged_into is None


def test_merge_view_preview_then_confirm(client, staff_user, sme, other_sme):
    factories.ProductFactory(organisation=other_sme)
    client.force_login(staff_user)
    preview = client.get(
        "/directory/trust/merge/", {"survivor": sme.slug, "duplicate": other_sme.slug}
    )
    assert preview.status_code == 200 and b"Merge now" in preview.content
    other_sme.refresh_from_db()
    assert other_sme.merged_into is None  # a preview changes nothing
    response = client.post(
        "/directory/trust/merge/",
        {"survivor": sme.slug, "duplicate": other_sme.slug, "confirm": "1"},
    )
    assert response["Location"] == f"/directory/o/{sme.slug}/"
    other_sme.refresh_from_db()
    assert other_sme.merged_into == sme


def test_merge_view_denied_to_non_staff(client, sme_owner, sme, other_sme):
    client.force_login(sme_owner)
    response = client.post(
        "/directory/trust/merge/",
        {"survivor": sme.slug, "duplicate": other_sme.slug, "confirm": "1"},
    )
    assert response.status_code == 403
    other_sme.refresh_from_db()
    assert other_sme.merged_into is None


# --- History -----------------------------------------------------------------------------------


def test_history_lists_org_and_product_changes_for_staff(client, staff_user, sme, sme_owner):
    with audit_actor(sme_owner):
        sme.description = "Hand-made ceramics"
        sme.save()
        factories.ProductFactory(organisation=sme, name="Vase")
    client.force_login(staff_user)
    response = client.get(f"/directory/trust/{sme.slug}/history/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {r["what"] for r in rows} >= {"organisation", "product"}
    update = next(r for r in rows if r["entry"].action == 1)
    assert update["entry"].actor == sme_owner
    assert update["fields"][0] == {
        "name": "description (English)",
        "old": "",
        "new": "Hand-made ceramics",
    }
    assert b"Vase" in response.content


def test_history_denied_to_owner_and_anonymous(client, sme, sme_owner):
    assert client.get(f"/directory/trust/{sme.slug}/history/").status_code == 302
    client.force_login(sme_owner)
    assert client.get(f"/directory/trust/{sme.slug}/history/").status_code == 403


def test_history_query_count(client, staff_user, sme, django_assert_num_queries):
    with audit_actor(staff_user):
        for i in range(5):
            factories.ProductFactory(organisation=sme, name=f"P{i}")
            sme.description = f"v{i}"
            sme.save()
    client.force_login(staff_user)
    client.get(f"/directory/trust/{sme.slug}/history/")
    with django_assert_num_queries(10):  # 9 + the unread count of the header
        client.get(f"/directory/trust/{sme.slug}/history/")


def test_history_includes_deleted_product_and_hides_other_orgs(client, staff_user, sme, other_sme):
    with audit_actor(staff_user):
        gone = factories.ProductFactory(organisation=sme, name="Old teapot")
        gone.delete()
        factories.ProductFactory(organisation=other_sme, name="Not mine")
    client.force_login(staff_user)
    response = client.get(f"/directory/trust/{sme.slug}/history/")
    rows = response.context["rows"]
    assert [(r["what"], r["entry"].action, r["fields"]) for r in rows] == [
        ("product", 2, []),
        ("product", 0, []),
        ("organisation", 0, []),
    ]
    assert b"Old teapot" in response.content and b"Not mine" not in response.content


def _render_badges(org, user, staff=False):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from corridor.directory.selectors import organisation_profile

    request = RequestFactory().get("/")
    request.user = user
    profile = organisation_profile(user, org)
    return render_to_string(
        "directory/trust/_badges.html",
        {"org": org, "user": user, "is_programme_staff": staff, "profile": profile},
        request=request,
    )


def test_badges_partial_verified_and_staff_links(sme, staff_user, stranger):
    trust.organisation_verify(org=sme, by=staff_user)
    sme.refresh_from_db()
    html = _render_badges(sme, staff_user, staff=True)
    assert "Verified" in html and f"/directory/trust/{sme.slug}/history/" in html
    public = _render_badges(sme, stranger)
    assert "/history/" not in public and f"/directory/trust/{sme.slug}/claim/" in public
    sme.is_claimed = True
    assert "/claim/" not in _render_badges(sme, stranger)


def test_merge_view_prefilled_from_profile_link(client, staff_user, sme):
    client.force_login(staff_user)
    response = client.get("/directory/trust/merge/", {"duplicate": sme.slug})
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    assert f'value="{sme.slug}"'.encode() in response.content


def test_merge_moves_relations_of_other_apps(staff_user, sme, other_sme, buyer_org):
    from corridor.matching.models import MatchNotice

    req = factories.SourcingRequestFactory(buyer=buyer_org)
    product = factories.ProductFactory(organisation=sme)
    notice = MatchNotice.objects.create(request=req, product=product, recipient=other_sme)
    summary = trust.organisation_merge(survivor=sme, duplicate=other_sme, by=staff_user)
    notice.refresh_from_db()
    assert notice.recipient == sme
    assert summary["other"] == {"matching.MatchNotice": 1}
