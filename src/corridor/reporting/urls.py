"""URLs of the reporting app (order timelines once their app is installed)."""

from django.apps import apps
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

if apps.is_installed("corridor.reporting.timeline"):
    from corridor.reporting.timeline import views as timeline

    urlpatterns += [
        path("orders/", timeline.order_list, name="orders"),
        path("orders/new/", timeline.order_new, name="order_new"),
        path("orders/border-times/", timeline.border_times, name="border_times"),
        path("orders/<int:order_id>/", timeline.order_detail, name="order"),
        path("orders/<int:order_id>/update/", timeline.order_update, name="order_update"),
        path("orders/<int:order_id>/shipment/", timeline.order_shipment, name="order_shipment"),
        path("orders/<int:order_id>/cancel/", timeline.order_cancel, name="order_cancel"),
        path(
            "orders/files/<int:update_id>/<str:which>/",
            timeline.order_file,
            name="order_file",
        ),
    ]
