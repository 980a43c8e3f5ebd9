"""Shared fixtures of the matching tests: one model load per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def embedder():
    from corridor.matching.embedding import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def suggester(embedder):
    from corridor.matching.hs_suggest import HsSuggester

    return HsSuggester(embedder=embedder)


@pytest.fixture
def fresh_catalog():
    """No catalog kept in the process before or after the test (`selectors` caches one)."""
    from corridor.matching import selectors

    selectors.forget_catalog()
    yield
    selectors.forget_catalog()
