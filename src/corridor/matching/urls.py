"""URLs of matching: /matching/..."""

from django.urls import path

from corridor.matching import views

app_name = "matching"
urlpatterns = [
    path("requests/<int:pk>/", views.request_suppliers, name="request_suppliers"),
    path("org/<slug:slug>/requests/", views.org_requests, name="org_requests"),
    path("org/<slug:slug>/partners/", views.cluster_partners, name="cluster_partners"),
    path("hs-suggest/", views.hs_suggest, name="hs_suggest"),
    path("index/", views.index_page, name="index"),
    path("index/progress/", views.index_progress, name="index_progress"),
    path("export.xlsx", views.export_matches, name="export"),
    path("digest/", views.digest_settings, name="digest"),
    path("digest/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
