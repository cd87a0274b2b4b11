from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import LoginThrottle, User
from audit.services import Action, audit_record


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "display_name", "role", "prefecture_code", "is_active"]
    list_filter = ["role", "is_active", "prefecture_code"]
    filter_horizontal = ["municipalities", "jurisdictions", "groups", "user_permissions"]
    # Nobody changes their own role or scope, nor their own admin rights (even a superuser):
    # another admin must, and that change is audited (accounts.admin_site.GuardedAdmin).
    SELF_LOCKED = (
        "role",
        "prefecture_code",
        "municipalities",
        "jurisdictions",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += [f for f in self.SELF_LOCKED if f not in fields]
        return fields

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Django's own password form saves without save_model: audit it here (name only).
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                audit_record(
                    action=Action.UPDATE,
                    request=request,
                    obj=user,
                    changed_fields=["password"],
                    reason="admin",
                )
        return response

    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("役割と担当範囲"),
            {
                "fields": (
                    "display_name",
                    "role",
                    "prefecture_code",
                    "municipalities",
                    "jurisdictions",
                )
            },
        ),
    )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin[LoginThrottle]):
    """Recent login failures. Deleting a row unlocks that username at once."""

    list_display = ["username_key", "failures", "last_failure_at", "locked_until"]
    search_fields = ["username_key"]
    readonly_fields = ["username_key", "failures", "first_failure_at", "last_failure_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
