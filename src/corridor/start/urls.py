"""URLs of the start page."""

from django.urls import path

from corridor.start import views

app_name = "start"
urlpatterns = [
    path("", views.page, name="page"),
    path("card/<slug:key>/", views.card, name="card"),
]
