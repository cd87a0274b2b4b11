from django.urls import path

from casework import views

app_name = "casework"

urlpatterns = [
    path("cases/<int:pk>/assessments/new/", views.assessment_create, name="assessment_create"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("cases/<int:pk>/plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/goals/new/", views.goal_add, name="goal_add"),
    path("plans/<int:pk>/goals/<int:goal_pk>/edit/", views.goal_edit, name="goal_edit"),
    path("plans/<int:pk>/decide/", views.plan_decide, name="plan_decide"),
    path("plans/<int:pk>/revise/", views.plan_revise, name="plan_revise"),
    path("plans/<int:pk>/end/", views.plan_end, name="plan_end"),
    path("plans/<int:pk>/reviews/new/", views.review_create, name="review_create"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("cases/<int:pk>/consents/new/", views.consent_create, name="consent_create"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("cases/<int:pk>/contacts/", views.contacts, name="contacts"),
    path("cases/<int:pk>/contacts/edit/", views.contact_edit, name="contact_edit"),
    path(
        "cases/<int:pk>/contacts/<int:member_pk>/edit/",
        views.contact_edit,
        name="member_contact_edit",
    ),
    path("meetings/<int:pk>/bases/", views.meeting_bases, name="meeting_bases"),
]
