from django.urls import path

from kpi import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("workbook/", views.workbook, name="workbook"),
    path("close/", views.year_close_view, name="year_close"),
    path("reopen/", views.year_reopen_view, name="year_reopen"),
]
