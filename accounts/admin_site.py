"""The admin site, without a login page of its own.

Django's admin login form would bypass the lockout and the second factor; its URL sends the
user to `accounts:login` instead. Who may use the admin once logged in is unchanged
(`is_staff`), and `accounts.middleware.OTPRequiredMiddleware` holds back a staff user who has
not passed the second factor on every page, the admin included.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SecureAdminSite(admin.AdminSite):
    site_header = _("ひきこもり支援ケース管理 管理画面")
    site_title = _("管理画面")

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("accounts:login"))
