"""URLs of the directory app: search and profiles, imports, trust (history, merge, claim)."""

from django.urls import include, path

from corridor.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("o/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("import/", include("corridor.directory.urls_import")),
    path("trust/", include("corridor.directory.urls_trust")),
]
