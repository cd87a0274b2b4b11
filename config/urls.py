from django.contrib import admin
from django.urls import include, path

from core import views as core_views
from exports import views as exports_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("healthz/ops", exports_views.healthz_ops, name="healthz_ops"),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("", include("referrals.urls")),
    path("kpi/", include("kpi.urls")),
    path("", include("platforms.urls")),
    path("audit/", include("audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("exports/", include("exports.urls")),
    path("casework/", include("casework.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
