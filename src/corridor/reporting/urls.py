"""URLs of the reporting app."""

from django.urls import path

from corridor.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_new, name="new"),
    path("public/", views.public_list, name="public"),
    path("analysis/", views.analysis, name="analysis"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status/", views.report_status, name="status"),
    path("<int:pk>/assign/", views.report_assign, name="assign"),
    path("<int:pk>/follow/", views.report_follow, name="follow"),
]
