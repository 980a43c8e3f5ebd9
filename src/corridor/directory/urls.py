"""URLs of the directory app: search and profiles, imports, trust (history, merge, claim)."""

from django.urls import include, path

from corridor.directory import views, views_cluster

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.<str:fmt>", views.export, name="export"),
    path("places/", views.places, name="places"),
    path("places/<str:code>/", views.places_country, name="places_country"),
    path("hs-options/", views.hs_options, name="hs_options"),
    path("province-options/", views.province_options, name="province_options"),
    path("new/", views.organisation_create, name="organisation_create"),
    path("o/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("o/<slug:slug>/edit/", views.organisation_edit, name="organisation_edit"),
    path("o/<slug:slug>/join/", views_cluster.join_request, name="cluster_join"),
    path(
        "cluster-join/<int:pk>/<str:decision>/",
        views_cluster.join_decide,
        name="cluster_join_decide",
    ),
    path("o/<slug:slug>/delete/", views.organisation_delete, name="organisation_delete"),
    path("o/<slug:slug>/products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path(
        "o/<slug:slug>/certifications/new/",
        views.certification_create,
        name="certification_create",
    ),
    path("certifications/<int:pk>/edit/", views.certification_edit, name="certification_edit"),
    path(
        "certifications/<int:pk>/delete/", views.certification_delete, name="certification_delete"
    ),
    path("o/<slug:slug>/requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/delete/", views.request_delete, name="request_delete"),
    path("o/<slug:slug>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("import/", include("corridor.directory.urls_import")),
    path("trust/", include("corridor.directory.urls_trust")),
]
