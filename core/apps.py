from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Reference data."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("基本情報")

    def ready(self) -> None:
        from django.db.models import fields

        from core import checks, display  # noqa: F401  (checks: the production-settings check)
        from core.forms import EMPTY_LABEL

        # Django 6.1 reads the empty choice's label from here (「- Select an option -」 in
        # English): every select in the app reads 「選択してください」 instead.
        fields.BLANK_CHOICE_LABEL = EMPTY_LABEL
        # get_FOO_display() builds its choices once per field, not on every call.
        display.install()
