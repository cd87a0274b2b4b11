from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One append-only row per event. Never holds case content (names, notes).

    The user is kept as id and username without a foreign-key constraint, so that rows
    outlive the accounts they mention and are never updated.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("閲覧")
        LIST = "list", _("一覧・検索")
        CREATE = "create", _("作成")
        UPDATE = "update", _("更新")
        DELETE = "delete", _("削除")
        EXPORT = "export", _("出力")
        IMPORT = "import", _("取込")
        LOGIN = "login", _("ログイン")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        LOGOUT = "logout", _("ログアウト")
        DENIED = "denied", _("権限なし")
        PURGE = "purge", _("保存期間切れ削除")
        VOID = "void", _("取消")

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ユーザー"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(_("ユーザー名"), max_length=150, blank=True)
    role = models.CharField(_("役割"), max_length=20, blank=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("対象の種類"), max_length=50, blank=True)
    object_id = models.CharField(_("対象ID"), max_length=50, blank=True)
    municipality_id = models.BigIntegerField(_("市町村ID"), null=True, blank=True)
    changed_fields = models.JSONField(_("変更項目"), default=list, blank=True)
    filters = models.JSONField(_("条件"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("件数"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    path = models.CharField(_("URL"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at", "-id"]
        indexes = [
            # The audit search page: one user's trail, newest first.
            models.Index(fields=["user", "-at"], name="audit_user_at_idx"),
            # The audit search page: everything that touched one object.
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The audit search page: filter by the username typed (rows outlive accounts).
            models.Index(fields=["username", "-at"], name="audit_username_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}"
