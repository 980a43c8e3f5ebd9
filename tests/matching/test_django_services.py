"""Matching writes: stored vectors, index rebuilds, learned HS examples, the digest, exports."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import load_workbook

from corridor.directory import services as directory_services
from corridor.directory.models import Product, SourcingRequest
from corridor.matching import adapters, selectors, services, tasks
from corridor.matching.models import DigestOptOut, HsExample, IndexJob, MatchNotice
from tests import factories

pytestmark = pytest.mark.usefixtures("fresh_catalog")


@pytest.fixture
def rice(db):
    return factories.HSCodeFactory(code="100630")


@pytest.fixture
def world(rice, buyer_org, buyer_user, sme, sme_owner):
    product = factories.ProductFactory(
        organisation=sme, name="Jasmine rice", description="Milled jasmine rice", hs_code=rice
    )
    req = factories.SourcingRequestFactory(
        buyer=buyer_org, title="Jasmine rice", description="milled jasmine rice", hs_code=rice
    )
    return {"product": product, "req": req}


# --- Stored vectors ---------------------------------------------------------------------------


def test_product_save_stores_its_vector_after_commit(
    sme, sme_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        product = directory_services.product_create(
            org=sme, by=sme_owner, data={"name": "Jasmine rice", "description": "milled"}
        )
    product.refresh_from_db()
    embedder = adapters.get_embedder()
    stored = adapters.vector_from_bytes(product.embedding, embedder.dim)
    expected = embedder.embed_passages(["Jasmine rice. milled"])[0]
    assert product.embedded_at is not None
    assert len(product.embedding) == 2 * embedder.dim  # float16
    assert float(stored @ expected) > 0.999


def test_sourcing_request_save_stores_its_query_vector(
    buyer_org, buyer_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = directory_services.sourcing_request_create(
            buyer=buyer_org, by=buyer_user, data={"title": "Cashew nuts"}
        )
    req.refresh_from_db()
    embedder = adapters.get_embedder()
    expected = embedder.embed_queries(["Cashew nuts"])[0]
    assert float(adapters.vector_from_bytes(req.embedding, embedder.dim) @ expected) > 0.999


def test_no_vector_is_computed_before_commit(sme, sme_owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        product = directory_services.product_create(org=sme, by=sme_owner, data={"name": "Tea"})
    product.refresh_from_db()
    assert product.embedding is None
    assert len(callbacks) == 1


def test_catalog_uses_stored_vectors(world):
    services.products_embed(product_ids=[world["product"].pk])
    catalog = selectors.supplier_catalog()
    assert catalog.missing_vectors == 0


def test_vectors_of_another_model_size_are_ignored():
    assert adapters.vector_from_bytes(np.ones(10, dtype=np.float16).tobytes(), 384) is None
    assert adapters.vector_from_bytes(None, 384) is None


# --- Full rebuild -----------------------------------------------------------------------------


def test_index_rebuild_embeds_everything_and_reports_progress(
    world, staff_user, django_capture_on_commit_callbacks
):
    Product.objects.update(embedding=None, embedded_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.index_rebuild_start(by=staff_user)
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == ("done", 2, 2, 100)
    assert Product.objects.filter(embedding__isnull=True).count() == 0
    assert SourcingRequest.objects.filter(embedding__isnull=True).count() == 0


def test_index_rebuild_is_not_queued_twice(staff_user, db):
    running = IndexJob.objects.create(status="running")
    assert services.index_rebuild_start(by=staff_user) == running
    assert IndexJob.objects.count() == 1


def test_index_rebuild_is_for_staff_only(sme_owner):
    with pytest.raises(PermissionDenied):
        services.index_rebuild_start(by=sme_owner)


def test_index_rebuild_failure_is_recorded(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("model missing")

    monkeypatch.setattr(services, "products_embed", broken)
    job = services.index_rebuild_run(job=IndexJob.objects.create())
    assert (job.status, job.error) == ("failed", "model missing")


def test_index_page_denials_and_rebuild(client, staff_user, sme_owner, world):
    url = reverse("matching:index")
    assert client.get(url).status_code == 302
    client.force_login(sme_owner)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert client.get(reverse("matching:index_progress")).status_code == 403
    client.force_login(staff_user)
    page = client.get(url).content.decode()
    assert "Rebuild matching index" in page
    assert client.post(url).status_code == 302
    progress = client.get(reverse("matching:index_progress")).content.decode()
    assert "<progress" in progress
    assert IndexJob.objects.count() == 1


def test_index_progress_polls_while_running(client, staff_user, db):
    client.force_login(staff_user)
    IndexJob.objects.create(status="running", total=10, done=4)
    html = client.get(reverse("matching:index_progress")).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert 'value="40"' in html
    IndexJob.objects.update(status="done", done=10)
    assert "every 2s" not in client.get(reverse("matching:index_progress")).content.decode()


# --- HS suggestions and confirmed examples ----------------------------------------------------


def test_hs_suggestion_view_offers_rice_codes(client, db):
    html = client.get(reverse("matching:hs_suggest"), {"name": "organic jasmine rice"}).content
    assert b'data-code="1006' in html


def test_hs_suggestion_view_is_empty_for_short_text(client, db):
    assert client.get(reverse("matching:hs_suggest"), {"name": "ab"}).content.strip() == b""


def test_saving_a_suggested_code_records_a_confirmed_example(
    sme, sme_owner, django_capture_on_commit_callbacks
):
    suggested = selectors.hs_suggestions("organic jasmine rice")[0].code
    hs = factories.HSCodeFactory(code=suggested)
    with django_capture_on_commit_callbacks(execute=True):
        directory_services.product_create(
            org=sme, by=sme_owner, data={"name": "organic jasmine rice", "hs_code": hs}
        )
    assert list(HsExample.objects.values_list("text", "code", "confirmed_by")) == [
        ("organic jasmine rice", suggested, sme_owner.pk)
    ]


def test_a_code_that_was_not_suggested_is_not_learned(
    sme, sme_owner, django_capture_on_commit_callbacks
):
    hs = factories.HSCodeFactory(code="847130")  # laptops, for rice
    with django_capture_on_commit_callbacks(execute=True):
        directory_services.product_create(
            org=sme, by=sme_owner, data={"name": "organic jasmine rice", "hs_code": hs}
        )
    assert HsExample.objects.count() == 0


def test_the_cached_suggester_learns_new_examples(db):
    text = "Bat Trang blue and white vase"
    first = selectors.hs_suggester()
    services.hs_example_confirm(text=text, code="6913.90")
    assert selectors.hs_suggestions(text)[0].code == "691390"
    assert selectors.hs_suggester() is first  # added to, not rebuilt
    HsExample.objects.all().delete()
    assert selectors.hs_suggester() is not first  # a deletion rebuilds it without the example


def test_unknown_codes_are_not_confirmed(db):
    assert services.hs_example_confirm(text="rice", code="123456") is None
    assert services.hs_example_confirm(text="", code="100630") is None


# --- Digest -----------------------------------------------------------------------------------


def test_digest_tells_both_sides_once(
    world, sme_owner, buyer_user, django_capture_on_commit_callbacks
):
    # The emails are queued (notifications) and go out once the digest's writes are committed.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send() == 2
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([sme_owner.email, buyer_user.email])
    to_supplier = next(m for m in mail.outbox if m.to == [sme_owner.email])
    assert "Jasmine rice" in to_supplier.body
    assert f"/directory/requests/{world['req'].pk}/" in to_supplier.body
    assert "/matching/digest/unsubscribe/" in to_supplier.body
    assert MatchNotice.objects.count() == 2

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send() == 0
    assert mail.outbox == []


def test_digest_respects_opt_out(world, sme_owner, buyer_user, django_capture_on_commit_callbacks):
    services.digest_opt_out(user=sme_owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digest_send() == 1
    assert [m.to for m in mail.outbox] == [[buyer_user.email]]
    # The match counts as told: opting in again does not send old matches.
    services.digest_opt_in(user=sme_owner)
    assert services.digest_send() == 0


def test_digest_leaves_out_unpublished_buyers_and_failing_matches(world, buyer_org):
    req = world["req"]
    req.required_certifications = ["organic"]
    req.save()
    assert services.digest_send() == 0
    req.required_certifications = []
    req.save()
    buyer_org.is_published = False
    buyer_org.save()
    assert services.digest_send() == 0


def test_daily_digest_task_runs_the_service(world):
    assert tasks.daily_digest.call_local() == 2


def test_unsubscribe_link_opts_out_without_login(
    client, world, sme_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.digest_send()
    body = next(m.body for m in mail.outbox if m.to == [sme_owner.email])
    url = next(w for w in body.split() if "/matching/digest/unsubscribe/" in w)
    path = url.removeprefix("http://localhost:8000")
    assert client.get(path).status_code == 200
    assert not DigestOptOut.objects.exists()  # a GET (mail scanners) changes nothing
    assert client.post(path).status_code == 200
    assert DigestOptOut.objects.filter(user=sme_owner).exists()


def test_unsubscribe_rejects_a_forged_token(client, db):
    assert client.get(reverse("matching:unsubscribe", args=["forged"])).status_code == 404


def test_digest_toggle_on_the_account_page(client, sme_owner):
    client.force_login(sme_owner)
    url = reverse("matching:digest")
    assert (
        'name="digest" value="on" checked'
        in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    )
    client.post(url, {}, HTTP_HX_REQUEST="true")
    assert DigestOptOut.objects.filter(user=sme_owner).exists()
    client.post(url, {"digest": "on"})
    assert not DigestOptOut.objects.exists()
    assert reverse("matching:digest") in client.get(reverse("accounts:dashboard")).content.decode()


def test_digest_toggle_requires_login(client, db):
    assert client.post(reverse("matching:digest")).status_code == 302
    assert not DigestOptOut.objects.exists()


# --- Forum export -----------------------------------------------------------------------------


def test_staff_export_matches_to_excel(client, staff_user, world, sme):
    client.force_login(staff_user)
    response = client.get(reverse("matching:export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:6] == ("Request", "Buyer", "Product wanted", "HS code", "Rank", "Supplier")
    assert rows[1][0] == world["req"].pk
    assert rows[1][4:6] == (1, sme.name)
    assert "HS 1006.30 matches" in rows[1][11]


def test_export_is_for_staff_only(client, sme_owner, db):
    assert client.get(reverse("matching:export")).status_code == 302
    client.force_login(sme_owner)
    assert client.get(reverse("matching:export")).status_code == 403
