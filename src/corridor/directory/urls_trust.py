"""URLs included by directory/urls.py (same 'directory' namespace)."""

from django.urls import path

from corridor.directory import views_trust

urlpatterns = [
    path("merge/", views_trust.merge, name="trust_merge"),
    path("claims/", views_trust.claims, name="trust_claims"),
    path("claims/<int:pk>/decide/", views_trust.claim_decide, name="trust_claim_decide"),
    path("<slug:slug>/history/", views_trust.history, name="trust_history"),
    path("<slug:slug>/verify/", views_trust.verify, name="trust_verify"),
    path("<slug:slug>/claim/", views_trust.claim, name="trust_claim"),
    path("<slug:slug>/publish/", views_trust.publish, name="trust_publish"),
]
