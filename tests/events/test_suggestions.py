"""'Suggested for you' is ranked by the matching engine, both ways, with its reasons."""

from __future__ import annotations

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
