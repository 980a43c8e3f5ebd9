"""URLs included by directory/urls.py (same 'directory' namespace)."""

urlpatterns: list = []
