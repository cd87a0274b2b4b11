from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Audit trail."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("監査ログ")
