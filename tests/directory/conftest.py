"""Directory tests start with an empty cache: cached facet counts must not leak between tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
