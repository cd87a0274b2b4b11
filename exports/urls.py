from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.start, name="start"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/download/", views.job_download, name="job_download"),
]

urlpatterns += [
    path("ledger/", views.ledger_upload, name="ledger_upload"),
    path("ledger/template.xlsx", views.ledger_template_download, name="ledger_template"),
    path("ledger/confirm/", views.ledger_confirm, name="ledger_confirm"),
    path("ledger/history/", views.ledger_history, name="ledger_history"),
]
