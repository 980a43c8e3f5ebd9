"""'Suggested for you' is ranked by the matching engine, both ways, with its reasons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from corridor.events import selectors, suggest
from tests import factories
from tests.events.conftest import make_participant, meet


def _codes(*codes):
    for code in codes:
        factories.HSCodeFactory(code=code)


def test_closer_hs_code_ranks_first_with_the_engines_reason(people, forum):
    _codes("090411", "090412", "0910", "100630")
    user, buyer = people["Buyer Co"]
    buyer.wanted_hs_codes.set(["090411"])
    people["Pepper Farm"][1].offer_hs_codes.set(["090411"])  # the subheading asked for
    people["Silk House"][1].offer_hs_codes.set(["090412"])  # same heading 0904
    people["Rice Mill"][1].offer_hs_codes.set(["100630"])  # another chapter
    for name in people:  # as an edit of a registration saves it
        people[name][1].save()

    found = selectors.suggestions(forum, buyer, user)

    names = [s.registration.organisation.name for s in found]
    assert names[:2] == ["Pepper Farm", "Silk House"]
    assert "Rice Mill" not in names
    assert found[0].reasons[0] == "They offer HS 0904.11, which you look for"
    assert found[1].reasons[0] == "They offer HS 0904, which you look for"


def test_what_they_look_for_against_my_offers(people, forum):
    user, rice = people["Rice Mill"]
    rice.offers = "Organic jasmine rice, 25 kg bags"
    rice.save()
    silk = people["Silk House"][1]
    silk.looks_for = "jasmine rice for our staff canteen"
    silk.save()

    found = selectors.suggestions(forum, rice, user)

    assert [s.registration.organisation.name for s in found] == ["Silk House"]
    assert found[0].reasons == ["They look for: jasmine, rice"]


def test_words_in_another_script_meet_through_the_engine(people, forum):
    user, buyer = people["Buyer Co"]
    buyer.looks_for = "ម្រេចកំពត"  # Kampot pepper, in Khmer
    buyer.save()
    pepper = people["Pepper Farm"][1]
    pepper.offers = "ម្រេចកំពត ក្រហម"
    pepper.save()

    found = selectors.suggestions(forum, buyer, user)

    assert found[0].registration == pepper
    assert found[0].reasons[0].startswith("They offer: ")


def test_people_already_asked_are_left_out_and_new_participants_come_in(people, forum, staff):
    user, buyer = people["Buyer Co"]
    buyer.looks_for = "jasmine rice"
    buyer.save()
    for name in ("Rice Mill", "Silk House"):
        reg = people[name][1]
        reg.offers = "jasmine rice"
        reg.save()
    assert {
        s.registration.organisation.name for s in selectors.suggestions(forum, buyer, user)
    } == {
        "Rice Mill",
        "Silk House",
    }
    meet(people["Rice Mill"], people["Buyer Co"])
    make_participant(forum, "Paddy Co", offers="Jasmine rice from Battambang")

    names = {s.registration.organisation.name for s in selectors.suggestions(forum, buyer, user)}

    assert names == {"Silk House", "Paddy Co"}  # a new approval is a new participants' version


def test_ranking_is_cached_per_viewer_and_participants_version(
    people, forum, django_assert_num_queries
):
    user, buyer = people["Buyer Co"]
    buyer.looks_for = "jasmine rice"
    buyer.save()
    first = suggest.rank(forum, buyer)
    with django_assert_num_queries(1):  # the participants' version; the ranking is cached
        again = suggest.rank(forum, buyer)
    assert again == first


class _Queue:
    """Stands for the worker: records the builds queued instead of running them."""

    def __init__(self, task):
        self.task = task  # the real one, run by _build
        self.now, self.later = [], []

    def __call__(self, event_id):
        self.now.append(event_id)

    def schedule(self, args, delay):
        self.later.append((args, delay))


@pytest.fixture
def no_worker(monkeypatch):
    from corridor.events import tasks

    queue = _Queue(tasks.suggest_index_build)
    monkeypatch.setattr(tasks, "suggest_index_build", queue)
    return queue


def _build(queue, event):
    """The worker runs the queued build."""
    queue.task.call_local(event.pk)


def test_page_shows_the_cheap_ranking_with_a_note_until_the_task_built_the_index(
    no_worker, client, people, forum
):
    _codes("090411", "090412")
    user, buyer = people["Buyer Co"]
    buyer.wanted_hs_codes.set(["090411"])
    people["Pepper Farm"][1].offer_hs_codes.set(["090412"])
    for name in people:
        people[name][1].save()
    client.force_login(user)
    url = reverse("events:participants", args=[forum.slug])

    page = client.get(url).content.decode()

    assert "are being prepared" in page
    assert "They offer HS 090412, which you look for" in page  # HS heading, by the database
    assert no_worker.now == [forum.pk]  # the first need queued one build, and only one
    client.get(url)
    assert no_worker.now == [forum.pk]
    assert suggest.event_index(forum) is None

    _build(no_worker, forum)
    page = client.get(url).content.decode()

    assert "are being prepared" not in page
    assert "They offer HS 0904, which you look for" in page  # the engine's reason
    assert no_worker.now == [forum.pk]


def test_registrations_queue_one_build_until_it_runs_and_a_large_event_waits(
    no_worker, people, forum, monkeypatch
):
    assert no_worker.now == [forum.pk]  # four registrations, one build queued
    _build(no_worker, forum)
    make_participant(forum, "Paddy Co", offers="Jasmine rice")
    assert no_worker.now == [forum.pk, forum.pk]  # the build ran: a change queues another
    index = suggest.event_index(forum)  # a newer one is queued: the last one serves meanwhile
    assert index is not None and len(index.kinds) == 4
    _build(no_worker, forum)
    assert len(suggest.event_index(forum).kinds) == 5
    monkeypatch.setattr(suggest, "LARGE_EVENT", 3)
    make_participant(forum, "Mango Co")
    assert no_worker.later == [((forum.pk,), suggest.DEBOUNCE)]  # one build for a burst


def test_an_index_built_by_the_worker_is_loaded_from_the_data_folder(people, forum):
    user, buyer = people["Buyer Co"]
    buyer.looks_for = "jasmine rice"
    buyer.save()
    rice = people["Rice Mill"][1]
    rice.offers = "jasmine rice"
    rice.save()
    built = suggest.event_index(forum)
    suggest.forget()  # another process: nothing in memory, the file and pointer are shared

    loaded = suggest.event_index(forum)

    assert loaded is not built and loaded.version == built.version
    assert [r.registration_id for r in suggest.rank(forum, buyer)] == [rice.pk]


def test_looks_for_is_embedded_once_and_ranks_the_reverse_direction_by_vectors(
    people, forum, monkeypatch
):
    from corridor.matching import services as matching_services

    _user, rice = people["Rice Mill"]
    rice.offers = "rice"
    rice.save()
    product = factories.ProductFactory(
        organisation=rice.organisation, name="jasmine rice", description=""
    )
    matching_services.products_embed(product_ids=[product.pk])
    silk = people["Silk House"][1]
    silk.looks_for = "jasmine rice"  # close to Rice Mill's product for the hash embedder too
    silk.save()

    index = suggest.event_index(forum)

    silk.refresh_from_db()
    assert silk.looks_for_vector and silk.looks_for_vector_of
    assert suggest.looks_for_embed(forum) == 0  # embedded once
    position = [o.id for o in index.wants.offers].index(silk.pk)
    assert abs(index.wants.index.vectors_of([position])[0]).sum() > 0
    with_vectors = {r.registration_id: r.score for r in suggest.rank(forum, rice)}
    # The same participants without the vector of what Silk House looks for rank it lower.
    monkeypatch.setattr(suggest, "looks_for_embed", lambda event: 0)
    silk.looks_for_vector, silk.looks_for_vector_of = None, ""
    silk.save()  # a new participants' version: built again
    without = {r.registration_id: r.score for r in suggest.rank(forum, rice)}
    assert with_vectors[silk.pk] > without[silk.pk]


def test_a_first_index_comes_before_embedding_many_texts_and_a_second_build_adds_them(
    no_worker, people, forum, monkeypatch
):
    from django.core.cache import cache

    monkeypatch.setattr(suggest, "FIRST_EMBED", 1)
    for name in ("Buyer Co", "Silk House"):
        people[name][1].looks_for = "jasmine rice"
        people[name][1].save()
    queued = len(no_worker.now)

    _build(no_worker, forum)

    silk = people["Silk House"][1]
    silk.refresh_from_db()
    assert silk.looks_for_vector is None  # published at once, without the vectors
    assert suggest.event_index(forum) is not None
    assert not cache.get(suggest._pointer_key(forum.pk))["complete"]  # noqa: SLF001
    assert len(no_worker.now) == queued + 1  # the second build is queued at once

    _build(no_worker, forum)

    silk.refresh_from_db()
    assert silk.looks_for_vector is not None
    assert cache.get(suggest._pointer_key(forum.pk))["complete"]  # noqa: SLF001
    _build(no_worker, forum)  # nothing changed: nothing to do
    assert len(list((suggest._folder()).glob("*.pickle"))) == 1  # noqa: SLF001


def test_a_process_holding_the_first_index_takes_the_complete_one(
    no_worker, people, forum, monkeypatch
):
    monkeypatch.setattr(suggest, "FIRST_EMBED", 0)
    user, buyer = people["Buyer Co"]
    buyer.looks_for = "jasmine rice"
    buyer.save()
    _build(no_worker, forum)  # the first index, published without the vector
    first = suggest.event_index(forum)
    assert suggest.rank(forum, buyer) is not None

    _build(no_worker, forum)  # the complete one, same participants' version
    suggest.forget()
    suggest._remember(forum.pk, first)  # noqa: SLF001 (a web process still holding the first)

    now = suggest.event_index(forum)

    assert now is not first and now.version == first.version
    assert len(now.want_guesses) == 1 and len(first.want_guesses) == 0
    buyer.refresh_from_db()
    assert suggest.rank(forum, buyer) is not None


def test_a_lost_index_file_is_built_again(people, forum):
    built = suggest.event_index(forum)
    for path in suggest._folder().glob("*.pickle"):  # noqa: SLF001
        path.unlink()
    suggest.forget()

    again = suggest.event_index(forum)  # immediate mode: the queued build ran here

    assert again is not None and again.version == built.version
    assert list(suggest._folder().glob("*.pickle"))  # noqa: SLF001
