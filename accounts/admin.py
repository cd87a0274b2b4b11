from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import LoginThrottle, User


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

    fieldsets = (
        *BaseUserAdmin.fieldsets,
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
