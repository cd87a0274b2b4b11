from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("referrals/follow-up/", views.follow_up, name="follow_up"),
    path("referrals/case/<int:case_pk>/", views.case_referrals, name="case_referrals"),
    path("referrals/case/<int:case_pk>/new/", views.referral_create, name="referral_create"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/transition/", views.referral_transition, name="referral_transition"),
    path("referrals/<int:pk>/notes/", views.referral_note_add, name="referral_note_add"),
    path("employment/case/<int:case_pk>/new/", views.employment_create, name="employment_create"),
    path("employment/<int:pk>/edit/", views.employment_edit, name="employment_edit"),
    path("employment/<int:pk>/rejudge/", views.employment_rejudge, name="employment_rejudge"),
    path("kinds/<int:pk>/settings/", views.kind_settings_change, name="kind_settings_change"),
    path("resources/<int:pk>/kind/", views.resource_kind_change, name="resource_kind_change"),
]
