from django.urls import path

from corridor.training import views

app_name = "training"

urlpatterns = [
    path("", views.programme_list, name="programmes"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("programmes/<int:pk>/what-followed/", views.what_followed, name="what_followed"),
    path("modules/<int:pk>/", views.module_detail, name="module"),
    path("modules/<int:pk>/material/", views.material, name="material"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/import/", views.session_import, name="session_import"),
    path("sessions/<int:pk>/attendance.csv", views.session_export, name="session_export"),
    path("import-template.csv", views.import_template, name="import_template"),
    path("attendance/<int:pk>/link/<str:phase>/", views.assessment_link, name="assessment_link"),
    path("attendance/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
    path("a/<str:phase>/<str:token>/", views.assess, name="assess"),
    path("clusters/<slug:slug>/milestones/new/", views.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/evidence/", views.milestone_evidence, name="milestone_evidence"),
]
