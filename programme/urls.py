from django.urls import path

from programme import views

app_name = "programme"

urlpatterns = [
    path("entries/", views.entry_list, name="entry_list"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/outreach/", views.outreach_create, name="outreach_create"),
    path("entries/<int:pk>/close/", views.entry_close, name="entry_close"),
    path("entries/<int:pk>/case/", views.entry_open_case, name="entry_open_case"),
    path("supervision/", views.supervision_list, name="supervision_list"),
    path(
        "supervision/new/meeting/<int:meeting_pk>/",
        views.supervision_create_for_meeting,
        name="supervision_create_meeting",
    ),
    path(
        "supervision/new/case/<int:case_pk>/",
        views.supervision_create_for_case,
        name="supervision_create_case",
    ),
    path("supervision/<int:pk>/", views.supervision_detail, name="supervision_detail"),
    path("supervision/<int:pk>/accept/", views.supervision_accept, name="supervision_accept"),
    path("supervision/<int:pk>/give/", views.supervision_give, name="supervision_give"),
    path("supervision/<int:pk>/close/", views.supervision_close, name="supervision_close"),
    path("training/", views.training_list, name="training_list"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("training/<int:pk>/attendance/", views.attendance_set, name="attendance_set"),
    path("publicity/", views.publicity_list, name="publicity_list"),
    path("publicity/new/", views.publicity_create, name="publicity_create"),
    path("places/", views.support_list, name="support_list"),
]
