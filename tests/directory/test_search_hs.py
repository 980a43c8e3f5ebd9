"""The HS look-up of the product and request forms: code prefixes, and words in any language."""

import pytest

from corridor.directory import selectors
from tests import factories

pytestmark = pytest.mark.django_db


def _codes(q):
    return [c.code for c in selectors.hs_code_options(q)]


@pytest.mark.parametrize("word", ["tea", "chè", "ชา", "trà", "ស្លឹកតែ"])
def test_hs_options_tea_in_any_language_lists_tea_first(word):
    codes = _codes(word)
    assert codes[0][:4] == "0902"
    assert "030617" not in codes  # frozen shrimps ("steaming") no more


def test_hs_options_ceramic_lists_ceramics_not_uranium():
    codes = _codes("ceramic")
    assert codes[0][:2] == "69"
    assert not any(c.startswith("2844") for c in codes)


def test_hs_options_rice_lists_rice_not_liquorice():
    codes = _codes("rice")
    assert codes[0][:4] == "1006"
    assert not any(c.startswith(("1211", "3306")) for c in codes)  # liquorice, dentifrice


def test_hs_options_vase_finds_codes():
    assert _codes("vase")[:1] != []


def test_hs_options_digits_stay_a_code_prefix():
    factories.HSCodeFactory(code="0902", description="Tea, whether or not flavoured")
    factories.HSCodeFactory(code="090230", description="Black tea")
    factories.HSCodeFactory(code="100630", description="Rice; semi-milled")
    assert _codes("09.02") == ["0902", "090230"]


def test_hs_options_use_the_stored_description_when_known(client):
    factories.HSCodeFactory(code="090210", description="Tea, green, in packs up to 3 kg")
    html = client.get("/directory/hs-options/?hs_code=chè").content.decode()
    assert "0902.10 Tea, green, in packs up to 3 kg" in html
