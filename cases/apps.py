from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Cases."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("相談ケース")

    def ready(self) -> None:
        # The print layouts' sections, registered before any later app adds its own.
        from cases import printing  # noqa: F401
