from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Reference data."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("基本情報")

    def ready(self) -> None:
        from core import checks  # noqa: F401  (registers the production-settings check)
