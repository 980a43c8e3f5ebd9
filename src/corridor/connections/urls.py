"""URLs of the connections app."""

from django.urls import path

from corridor.connections import views

app_name = "connections"
urlpatterns = [
    path("", views.connection_list, name="list"),
    path("ask/<slug:slug>/", views.connection_request, name="request"),
    path("<int:pk>/accept/", views.connection_accept, name="accept"),
    path("<int:pk>/decline/", views.connection_decline, name="decline"),
    path("<int:pk>/withdraw/", views.connection_withdraw, name="withdraw"),
]
