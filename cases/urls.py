from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_intake, name="intake"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/print/", views.case_print, name="print"),
    path("<int:pk>/household/print/", views.household_print, name="household_print"),
    path("<int:pk>/close/", views.case_close, name="close"),
    path("<int:pk>/suspend/", views.case_suspend, name="suspend"),
    path("<int:pk>/reopen/", views.case_reopen, name="reopen"),
    path("<int:pk>/consultations/new/", views.consultation_create, name="consultation_create"),
    path(
        "<int:pk>/consultations/<int:consultation_pk>/edit/",
        views.consultation_edit,
        name="consultation_edit",
    ),
    path(
        "<int:pk>/consultations/<int:consultation_pk>/void/",
        views.consultation_void,
        name="consultation_void",
    ),
    path("<int:pk>/void/", views.case_void, name="void"),
    path("<int:pk>/household/add/", views.member_add, name="member_add"),
    path("<int:pk>/household/<int:member_pk>/edit/", views.member_edit, name="member_edit"),
    path("<int:pk>/household/<int:member_pk>/remove/", views.member_remove, name="member_remove"),
]
