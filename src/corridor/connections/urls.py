"""URLs of the connections app."""

from django.urls import path

from corridor.connections import views

app_name = "connections"
urlpatterns = [
    path("", views.connection_list, name="list"),
    path("ask/<slug:slug>/", views.connection_request, name="request"),
    path("answer/<int:pk>/", views.request_answer, name="answer"),
    path("<int:pk>/accept/", views.connection_accept, name="accept"),
    path("<int:pk>/decline/", views.connection_decline, name="decline"),
    path("<int:pk>/withdraw/", views.connection_withdraw, name="withdraw"),
]
