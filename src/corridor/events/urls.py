"""URLs of the events app."""

from django.urls import path

from corridor.events import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("new/", views.event_create, name="create"),
    path("feed/<str:token>.ics", views.calendar_feed, name="feed"),
    path("meetings/<int:pk>/mark/", views.meeting_mark, name="meeting_mark"),
    path("meetings/<int:pk>/feedback/", views.meeting_feedback, name="meeting_feedback"),
    path("meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<slug:slug>/", views.event_detail, name="detail"),
    path("<slug:slug>/register/", views.register, name="register"),
    path(
        "<slug:slug>/registrations/<int:pk>/cancel/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path("<slug:slug>/participants/", views.participant_list, name="participants"),
    path("<slug:slug>/participants/<int:pk>/request/", views.request_send, name="request_send"),
    path("<slug:slug>/requests/", views.request_list, name="requests"),
    path(
        "<slug:slug>/requests/<int:pk>/<str:action>/", views.request_answer, name="request_answer"
    ),
    path("<slug:slug>/agenda/", views.agenda, name="agenda"),
    path("<slug:slug>/agenda.ics", views.agenda_ics, name="agenda_ics"),
    path("<slug:slug>/agenda.pdf", views.agenda_pdf, name="agenda_pdf"),
    path("<slug:slug>/agenda-qr.svg", views.agenda_qr, name="agenda_qr"),
    path("<slug:slug>/manage/", views.manage, name="manage"),
    path("<slug:slug>/manage/status/", views.manage_status, name="manage_status"),
    path("<slug:slug>/manage/sessions/", views.session_add, name="session_add"),
    path(
        "<slug:slug>/manage/registrations/<int:pk>/<str:action>/",
        views.registration_decide,
        name="registration_decide",
    ),
    path("<slug:slug>/manage/schedule/", views.schedule, name="schedule"),
    path("<slug:slug>/manage/schedule/run/", views.schedule_run, name="schedule_run"),
    path("<slug:slug>/manage/schedule/publish/", views.schedule_publish, name="schedule_publish"),
    path("<slug:slug>/manage/runs/<int:pk>/", views.run_progress, name="run_progress"),
    path("<slug:slug>/manage/runs/<int:pk>/apply/", views.run_apply, name="run_apply"),
    path("<slug:slug>/manage/meetings/<int:pk>/", views.meeting_actions, name="meeting_actions"),
    path("<slug:slug>/manage/meetings/<int:pk>/move/", views.meeting_move, name="meeting_move"),
    path("<slug:slug>/manage/meetings/add/", views.meeting_add, name="meeting_add"),
    path("<slug:slug>/manage/meetings/<int:pk>/video/", views.meeting_video, name="meeting_video"),
    path("<slug:slug>/manage/tables/", views.table_host, name="table_host"),
    path("<slug:slug>/manage/checkin/", views.checkin, name="checkin"),
    path("<slug:slug>/manage/export/<str:what>.<str:fmt>", views.staff_export, name="staff_export"),
    path("<slug:slug>/manage/<str:what>.pdf", views.staff_pdf, name="staff_pdf"),
]
