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
    filter_horizontal = ["municipalities", "jurisdictions"]
    # What decides what a user sees comes first (fieldsets below): role, prefecture and scope.
    # Django's groups and per-user permissions are not used (accounts.scope decides): hidden.
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
        (
            _("役割と担当範囲"),
            {
                "fields": (
                    "username",
                    "display_name",
                    "role",
                    "prefecture_code",
                    "municipalities",
                    "jurisdictions",
                )
            },
        ),
        (_("ログイン"), {"fields": ("password", "is_active")}),
        (_("表示設定"), {"fields": ("date_style",)}),
        (_("管理画面"), {"fields": ("is_staff", "is_superuser")}),
        (_("氏名・連絡先"), {"fields": ("first_name", "last_name", "email")}),
        (_("記録"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "role",
                    "prefecture_code",
                    "municipalities",
                    "jurisdictions",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin[LoginThrottle]):
    """Recent login failures. Deleting a row unlocks that username at once."""

    list_display = ["username_key", "failures", "last_failure_at", "locked_until"]
    search_fields = ["username_key"]
    readonly_fields = ["username_key", "failures", "first_failure_at", "last_failure_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def _relabel_third_party_admin() -> None:
    """Japanese names for the third-party models the admin lists (task results, TOTP
    devices): their apps ship English labels only."""
    from django.apps import apps

    names = {
        "django_tasks_database": (_("バックグラウンド処理"), {"dbtaskresult": _("処理結果")}),
        "otp_totp": (_("二要素認証"), {"totpdevice": _("二要素認証の端末")}),
    }
    fields = {
        "status": _("状態"),
        "enqueued_at": _("受付日時"),
        "started_at": _("開始日時"),
        "finished_at": _("終了日時"),
        "task_path": _("処理"),
        "queue_name": _("キュー"),
        "priority": _("優先度"),
        "user": _("ユーザー"),
        "name": _("名前"),
        "confirmed": _("確認済み"),
        "created_at": _("作成日時"),
        "last_used_at": _("最終使用日時"),
    }
    for label, (app_name, models) in names.items():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        config.verbose_name = app_name
        for model_name, model_label in models.items():
            model = config.get_model(model_name)
            model._meta.verbose_name = model_label
            model._meta.verbose_name_plural = model_label
            for field in model._meta.fields:
                if field.name in fields:
                    field.verbose_name = fields[field.name]


_relabel_third_party_admin()
