"""URLs included by directory/urls.py (same 'directory' namespace)."""

from django.urls import path

from corridor.directory import views_import

urlpatterns = [
    path("", views_import.upload, name="import"),
    path("done/", views_import.done, name="import_done"),
    path("template/<str:kind>.<str:fmt>", views_import.template, name="import_template"),
    path("<str:token>/", views_import.preview, name="import_preview"),
    path("<str:token>/confirm/", views_import.confirm, name="import_confirm"),
    path("<str:token>/errors.csv", views_import.error_report, name="import_errors"),
]
