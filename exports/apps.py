from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """Excel exports (in the background when large) and ledger imports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = _("出力・取込")
