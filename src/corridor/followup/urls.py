from django.urls import path

from corridor.followup import views

app_name = "followup"

urlpatterns = [
    path("", views.lead_list, name="leads"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/orders/", views.order_add, name="order_add"),
    path("requests/<int:pk>/answer/", views.request_answer, name="request_answer"),
    path("staff/rates/", views.rates, name="rates"),
    path("s/<str:token>/", views.survey, name="survey"),
    path("impact/", views.dashboard, name="dashboard"),
    path("staff/non-responders/", views.non_responders, name="non_responders"),
    path("staff/invitations/<int:pk>/phone/", views.phone_answer, name="phone_answer"),
    path("staff/invitations/<int:pk>/link/", views.copy_link, name="copy_link"),
    path("staff/conflicts/", views.conflicts, name="conflicts"),
    path("staff/plans/", views.plans, name="plans"),
    path("staff/plans/new/", views.plan_edit, name="plan_new"),
    path("staff/plans/<int:pk>/", views.plan_edit, name="plan"),
    path("staff/plans/<int:pk>/delete/", views.plan_delete, name="plan_delete"),
    path("staff/runs/", views.runs, name="runs"),
    path("staff/runs/<int:pk>/", views.run_detail, name="run"),
]
