"""Shared fixtures: users of every role, organisations of every kind, an API client."""

from __future__ import annotations

import os

import pytest

from tests import factories

# Playwright's sync API runs an event loop in the test thread; Django's ORM then refuses to
# run unless told that this is a plain synchronous test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Commands that tests run in a subprocess need a key: the default one is refused outside DEBUG.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789abcdef")


@pytest.fixture(autouse=True)
def _fast_hashing_and_mail(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HUEY = {**settings.HUEY, "immediate": True}
    # Production shares counters through the database cache; a test keeps its own in memory,
    # so that cache reads are not database queries (query counts) and need no database.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }


@pytest.fixture
def country_vn(db):
    return factories.CountryFactory(code="VN", name="Viet Nam")


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(username="staff", is_staff=True)


@pytest.fixture
def cluster(db):
    return factories.OrganisationFactory(kind="cluster", name="Bat Trang ceramics cluster")


@pytest.fixture
def coordinator(db, cluster):
    user = factories.UserFactory(username="coordinator")
    cluster.coordinator = user
    cluster.save()
    return user


@pytest.fixture
def sme(db, cluster):
    return factories.OrganisationFactory(kind="sme", cluster=cluster, email="sme@example.com")


@pytest.fixture
def sme_owner(db, sme):
    user = factories.UserFactory(username="smeowner")
    factories.MembershipFactory(user=user, organisation=sme, role="owner")
    return user


@pytest.fixture
def other_sme(db):
    return factories.OrganisationFactory(kind="sme", email="other@example.com")


@pytest.fixture
def buyer_org(db):
    return factories.OrganisationFactory(kind="buyer", email="buyer@example.com")


@pytest.fixture
def buyer_user(db, buyer_org):
    user = factories.UserFactory(username="buyer")
    factories.MembershipFactory(user=user, organisation=buyer_org, role="owner")
    return user


@pytest.fixture
def stranger(db):
    return factories.UserFactory(username="stranger")


@pytest.fixture(autouse=True)
def _fast_matching_embedder(settings):
    # The model-free embedder: tests that are about the real model ask for it explicitly.
    settings.CORRIDOR = {**settings.CORRIDOR, "EMBEDDER": "hash"}


@pytest.fixture(autouse=True)
def _huey_immediate():
    # The huey instance is built at import from settings.HUEY, so overriding the setting in a
    # fixture does not reach it: switch the instance itself to in-process, in-memory mode.
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True


@pytest.fixture(autouse=True)
def _language_reset():
    # A test that activates a language (a rendered page, a notification in the recipient's
    # language) must not leave it active for the next test in the same thread.
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def weasyprint_input(monkeypatch) -> list[str]:
    """The HTML each PDF was made from, WeasyPrint replaced by a stand-in (a page takes it a
    second): for tests of what a document is given rather than of WeasyPrint."""
    import weasyprint

    given: list[str] = []

    class FakeHTML:
        def __init__(self, *, string: str, base_url: str) -> None:
            given.append(string)

        def write_pdf(self, **options) -> bytes:
            return b"%PDF-1.7 stand-in"

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
    return given


@pytest.fixture
def guess_calls(monkeypatch) -> list[str]:
    """The texts the HS suggester guesses from here on (events and matching check that pages
    read stored guesses instead of guessing)."""
    from corridor.matching.hs_suggest import HsSuggester

    calls: list[str] = []
    original = HsSuggester.guess

    def counting(self, texts, vectors, top=5, exclude=None):
        calls.extend(texts)
        return original(self, texts, vectors, top, exclude)

    monkeypatch.setattr(HsSuggester, "guess", counting)
    return calls
