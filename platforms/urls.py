from django.urls import path

from platforms import views

app_name = "platforms"

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/print/", views.meeting_print, name="meeting_print"),
    path("meetings/<int:pk>/actions/", views.action_create, name="action_create"),
    path("meetings/actions/<int:pk>/complete/", views.action_complete, name="action_complete"),
    path("municipalities/", views.overview, name="overview"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality_detail"),
    path("municipalities/<str:code>/platform/", views.platform_edit, name="platform_edit"),
    path("municipalities/<str:code>/status/<int:fy>/", views.status_edit, name="status_edit"),
]
