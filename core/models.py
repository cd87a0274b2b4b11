from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.codes import validate_municipality_code


class Jurisdiction(models.Model):
    """A 福祉保健所 area (or a city's own 保健所) grouping municipalities."""

    prefecture_code = models.CharField(_("都道府県コード"), max_length=2)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("管轄（福祉保健所）")
        verbose_name_plural = _("管轄（福祉保健所）")
        ordering = ["prefecture_code", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["prefecture_code", "name_ja"], name="jurisdiction_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name_ja


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def in_prefecture(self, code: str) -> "MunicipalityQuerySet":
        return self.filter(prefecture_code=code)


class Municipality(models.Model):
    """A 市町村, identified by its 6-digit 全国地方公共団体コード."""

    class Kind(models.TextChoices):
        CITY = "市", _("市")
        TOWN = "町", _("町")
        VILLAGE = "村", _("村")
        WARD = "区", _("区")

    code = models.CharField(
        _("地方公共団体コード"),
        max_length=6,
        unique=True,
        validators=[validate_municipality_code],
    )
    prefecture_code = models.CharField(_("都道府県コード"), max_length=2, db_index=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    kind = models.CharField(_("種別"), max_length=1, choices=Kind.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("管轄"),
        on_delete=models.PROTECT,
        related_name="municipalities",
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("市町村")
        verbose_name_plural = _("市町村")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name_ja


class Voidable(models.Model):
    """A record that can be voided (取消) with a reason instead of deleted: it stays visible,
    struck through, with who/when/why, and counts nowhere. Set only by a `<thing>_void`
    service (core.voiding decides who may, and audits it)."""

    voided_at = models.DateTimeField(_("取消日時"), null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取消した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    void_reason = models.CharField(_("取消の理由"), max_length=500, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None
