from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import LoginThrottle, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "display_name", "role", "prefecture_code", "is_active"]
    list_filter = ["role", "is_active", "prefecture_code"]
    filter_horizontal = ["municipalities", "jurisdictions", "groups", "user_permissions"]
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
