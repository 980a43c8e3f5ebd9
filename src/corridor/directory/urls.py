"""URLs of the directory app."""

from django.urls import path

from corridor.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("o/<slug:slug>/", views.organisation_detail, name="organisation"),
]
