import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import ScopedQuerySet
from cases.models import Case
from core.models import Municipality
from core.resubmission import SubmittedOnce


class Agency(models.Model):
    """A partner agency in the municipal network (no personal data)."""

    class Kind(models.TextChoices):
        SOCIAL_WELFARE_COUNCIL = "shakyo", _("社会福祉協議会")
        COMMUNITY_CARE = "houkatsu", _("地域包括支援センター")
        HEALTH_OFFICE = "health_office", _("福祉保健所")
        SUPPORT_CENTER = "support_center", _("ひきこもり地域支援センター")
        HELLO_WORK = "hello_work", _("ハローワーク")
        WELFARE_VOLUNTEER = "minsei", _("民生委員・児童委員")
        FAMILY_ASSOCIATION = "family_association", _("家族会")
        NPO = "npo", _("NPO")
        MEDICAL = "medical", _("医療機関")
        SCHOOL = "school", _("学校")
        MUNICIPAL_OFFICE = "municipal_office", _("市町村の担当課")
        ATTAKA_CENTER = "attaka", _("あったかふれあいセンター")
        OTHER = "other", _("その他")

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("種別"), max_length=30, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("市町村"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空欄は県全域の機関"),
    )
    prefecture_code = models.CharField(_("都道府県コード"), max_length=2)
    active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("関係機関")
        verbose_name_plural = _("関係機関")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Platform(models.Model):
    """市町村プラットフォーム: one per municipality."""

    class Status(models.TextChoices):
        NONE = "none", _("未設置")
        PREPARING = "preparing", _("準備中")
        ESTABLISHED = "established", _("設置済")

    municipality = models.OneToOneField(
        Municipality, verbose_name=_("市町村"), on_delete=models.PROTECT, related_name="platform"
    )
    status = models.CharField(
        _("設置状況"), max_length=20, choices=Status.choices, default=Status.NONE
    )
    established_on = models.DateField(_("設置日"), null=True, blank=True)
    # The day a platform stopped being 設置済 (set by `platform_update`): with the
    # established date it is the platform's history, so a past year counts the platforms
    # established then (`established_as_of`).
    dissolved_on = models.DateField(_("廃止日"), null=True, blank=True, editable=False)
    members = models.ManyToManyField(
        Agency, verbose_name=_("構成機関"), blank=True, related_name="platforms"
    )
    coordinator = models.ForeignKey(
        Agency,
        verbose_name=_("事務局（コーディネーター）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("備考"), blank=True)
    # Optimistic locking: the centre and admins may edit the same platform at once.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("市町村プラットフォーム")
        verbose_name_plural = _("市町村プラットフォーム")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="established") | Q(established_on__isnull=False),
                name="platform_established_has_date",
            ),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | (~Q(status="established") & Q(established_on__lte=F("dissolved_on"))),
                name="platform_dissolved_after_established",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.get_status_display()}"


def established_as_of(as_of: "dt.date", path: str = "") -> Q:
    """Platforms that were 設置済 on `as_of` (`path`: the way to the platform, e.g.
    "platform__"): established on or before it and not dissolved by then."""
    return Q(**{f"{path}established_on__lte": as_of}) & (
        Q(**{f"{path}status": Platform.Status.ESTABLISHED, f"{path}dissolved_on__isnull": True})
        | Q(**{f"{path}dissolved_on__gt": as_of})
    )


class MunicipalStatus(models.Model):
    """Per municipality and fiscal year: needs assessment and 重層的支援体制整備事業."""

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("市町村"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    needs_assessed_on = models.DateField(_("実態・ニーズ把握日"), null=True, blank=True)
    jusoteki = models.BooleanField(_("重層的支援体制整備事業を実施"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("市町村の取組状況")
        verbose_name_plural = _("市町村の取組状況")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="municipal_status_unique_fy"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.fiscal_year}"


class CaseMeetingQuerySet(ScopedQuerySet["CaseMeeting"]):
    """CaseMeetings in scope: `.in_scope(user)` (accounts.access)."""


class CaseMeeting(SubmittedOnce):
    """ケース会議 held by a municipality. Minutes are confidential."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("個別ケース会議")
        SUPPORT = "support", _("支援会議（社会福祉法第106条の6）")
        JUSOTEKI = "jusoteki", _("重層的支援会議")

    class Supervision(models.TextChoices):
        NONE = "none", _("なし")
        PREFECTURE = "prefecture", _("県")
        CENTER = "center", _("ひきこもり地域支援センター")
        HEALTH_OFFICE = "health_office", _("福祉保健所")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("市町村"), on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("開催日"))
    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices)
    cases = models.ManyToManyField(
        Case, verbose_name=_("検討したケース"), blank=True, related_name="meetings"
    )
    agencies = models.ManyToManyField(
        Agency, verbose_name=_("参加機関"), blank=True, related_name="meetings"
    )
    supervision = models.CharField(
        _("県・センター・福祉保健所の支援（スーパーバイズ）"),
        max_length=20,
        choices=Supervision.choices,
        default=Supervision.NONE,
    )
    decisions = models.TextField(_("決定事項"), blank=True)
    minutes = models.TextField(_("議事録（秘）"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("ケース会議")
        verbose_name_plural = _("ケース会議")
        ordering = ["-held_on", "-id"]
        indexes = [
            # K2 (municipalities holding case meetings) and the overview, per fiscal year.
            models.Index(fields=["municipality", "held_on"], name="meeting_muni_held_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.held_on:%Y-%m-%d} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("platforms:meeting_detail", args=[self.pk])

    @property
    def supervised(self) -> bool:
        return self.supervision != self.Supervision.NONE


class FollowUpActionQuerySet(ScopedQuerySet["FollowUpAction"]):
    """Follow-ups in scope: the meeting's municipality (accounts.access)."""

    scope_path = "meeting__municipality"


class FollowUpAction(SubmittedOnce):
    """A follow-up decided at a meeting, with an owner and a due date."""

    meeting = models.ForeignKey(
        CaseMeeting, verbose_name=_("ケース会議"), on_delete=models.CASCADE, related_name="actions"
    )
    description = models.CharField(_("内容"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting_actions",
    )
    due_on = models.DateField(_("期限"), null=True, blank=True)
    done_on = models.DateField(_("完了日"), null=True, blank=True)

    objects = FollowUpActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("フォローアップ")
        verbose_name_plural = _("フォローアップ")
        ordering = ["due_on", "id"]
        indexes = [
            # Open follow-up actions on the owner's home page.
            models.Index(
                fields=["owner", "due_on"],
                name="action_open_owner_idx",
                condition=Q(done_on__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.description

    def get_absolute_url(self) -> str:
        return f"{self.meeting.get_absolute_url()}#actions"
