from django.urls import path

from kpi import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("workbook/", views.workbook, name="workbook"),
]
