from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    """Platforms and case meetings."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "platforms"
    verbose_name = _("プラットフォーム・ケース会議")
