from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Jurisdiction, Municipality


class User(AbstractUser):
    """A person who logs in. What they may see is decided in `accounts.scope`, nowhere else."""

    class Role(models.TextChoices):
        COUNSELOR = "counselor", _("相談員")
        CENTER = "center", _("ひきこもり地域支援センター")
        PREFECTURE = "prefecture", _("県職員")
        ADMIN = "admin", _("管理者")

    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.COUNSELOR)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    prefecture_code = models.CharField(
        _("都道府県コード"),
        max_length=2,
        blank=True,
        help_text=_("センター・県職員・管理者が対象とする都道府県。空欄はすべての都道府県。"),
    )
    municipalities = models.ManyToManyField(
        Municipality,
        verbose_name=_("担当市町村"),
        blank=True,
        related_name="+",
    )
    jurisdictions = models.ManyToManyField(
        Jurisdiction,
        verbose_name=_("担当管轄（福祉保健所）"),
        blank=True,
        related_name="+",
        help_text=_("管轄内のすべての市町村を担当します。"),
    )

    class DateStyle(models.TextChoices):
        WESTERN = "western", _("西暦（2026年12月2日）")
        WAREKI = "wareki", _("和暦（令和8年12月2日）")

    # How dates are shown to this user (core.dates); typed dates are accepted in either form.
    date_style = models.CharField(
        _("日付の表示"), max_length=10, choices=DateStyle.choices, default=DateStyle.WESTERN
    )

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def label(self) -> str:
        return self.display_name or self.username


class LoginThrottle(models.Model):
    """Recent login failures for one username (typed, case-folded), shared by every process.

    Keyed by the username attempted, known or not: an unknown name is throttled exactly like a
    real one, so the lockout tells nothing about which accounts exist. The row is deleted when
    the user completes a login.
    """

    username_key = models.CharField(_("ユーザー名（正規化）"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("失敗回数"), default=0)
    first_failure_at = models.DateTimeField(_("最初の失敗"))
    last_failure_at = models.DateTimeField(_("最後の失敗"))
    locked_until = models.DateTimeField(_("ロック解除"), null=True, blank=True)

    class Meta:
        verbose_name = _("ログイン失敗")
        verbose_name_plural = _("ログイン失敗")

    def __str__(self) -> str:
        return f"{self.username_key} ({self.failures})"
