import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.access import ScopedQuerySet
from cases.models import Case, Person
from core.models import Municipality, Voidable
from core.resubmission import SubmittedOnce


class ResourceKind(models.Model):
    """A kind of social resource. `counts_as_ibasho` decides what target three (居場所等) counts."""

    code = models.SlugField(_("コード"), max_length=50, unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    counts_as_ibasho = models.BooleanField(
        _("「居場所等」に数える"),
        default=False,
        help_text=_("目標3「居場所等の支援につながった件数」の対象にする種別"),
    )
    is_work_training = models.BooleanField(
        _("中間的就労・就労訓練"),
        default=False,
        help_text=_("この種別につながった後の就労は「中間的就労等を経て」と判定されます"),
    )
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("社会資源の種別")
        verbose_name_plural = _("社会資源の種別")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name_ja


class Resource(models.Model):
    """社会資源: an ibasho, a work-training site… (no personal data)."""

    class Operator(models.TextChoices):
        PREFECTURE = "prefecture", _("県")
        MUNICIPALITY = "municipality", _("市町村")
        ATTAKA_CENTER = "attaka", _("あったかふれあいセンター")
        FAMILY_ASSOCIATION = "family_association", _("家族会")
        NPO = "npo", _("NPO")
        SOCIAL_WELFARE_COUNCIL = "shakyo", _("社会福祉協議会")
        COMPANY = "company", _("企業")
        MEDICAL = "medical", _("医療法人")
        OTHER = "other", _("その他")

    name = models.CharField(_("名称"), max_length=200)
    kind = models.ForeignKey(
        ResourceKind, verbose_name=_("種別"), on_delete=models.PROTECT, related_name="resources"
    )
    operator_type = models.CharField(_("運営主体"), max_length=30, choices=Operator.choices)
    prefecture_code = models.CharField(_("都道府県コード"), max_length=2)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("市町村"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空欄は県全域"),
    )
    address = models.CharField(_("所在地"), max_length=300, blank=True)
    contact = models.CharField(_("連絡先"), max_length=200, blank=True)
    opening_days = models.CharField(_("開所日"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("定員"), null=True, blank=True)
    opened_on = models.DateField(
        _("開設日"),
        null=True,
        blank=True,
        help_text=_("わかる場合のみ（年度ごとの箇所数の集計に使います）"),
    )
    closed_on = models.DateField(
        _("廃止日"),
        null=True,
        blank=True,
        help_text=_("廃止・休止した日（年度ごとの箇所数の集計に使います）。この日から数えません。"),
    )
    active = models.BooleanField(_("有効"), default=True)
    notes = models.TextField(_("備考"), blank=True)

    class Meta:
        verbose_name = _("社会資源")
        verbose_name_plural = _("社会資源")
        ordering = ["kind__sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(opened_on__isnull=True)
                | Q(closed_on__gt=F("opened_on")),
                name="resource_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("referrals:resource_detail", args=[self.pk])


class ResourceKindSetting(models.Model):
    """The flags of a resource kind from a date on: the effective-dated history behind
    `ResourceKind.counts_as_ibasho` / `is_work_training` (see `referrals.history`).

    Written only by `referrals.services.kind_settings_change`. A kind without rows has had its
    current flags since always; the first change first stores the old flags "since always"
    (`effective_from` = `ALWAYS`), so every date has exactly one setting.
    """

    kind = models.ForeignKey(
        ResourceKind, verbose_name=_("種別"), on_delete=models.CASCADE, related_name="history"
    )
    effective_from = models.DateField(_("適用開始日"))
    counts_as_ibasho = models.BooleanField(_("「居場所等」に数える"))
    is_work_training = models.BooleanField(_("中間的就労・就労訓練"))
    reason = models.CharField(_("変更の理由"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("社会資源の種別の設定履歴")
        verbose_name_plural = _("社会資源の種別の設定履歴")
        ordering = ["kind", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "effective_from"], name="resource_kind_setting_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.effective_from}"


class ResourceKindPeriod(models.Model):
    """The kind of a resource from a date on: the history behind `Resource.kind`.

    Written only by `referrals.services.resource_kind_change`, like `ResourceKindSetting`
    (the first move first stores the old kind "since always")."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("社会資源"), on_delete=models.CASCADE, related_name="kind_history"
    )
    kind = models.ForeignKey(
        ResourceKind, verbose_name=_("種別"), on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField(_("適用開始日"))
    reason = models.CharField(_("変更の理由"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("社会資源の種別の履歴")
        verbose_name_plural = _("社会資源の種別の履歴")
        ordering = ["resource", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "effective_from"], name="resource_kind_period_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.effective_from}: {self.kind}"


def case_municipality() -> "models.ForeignKey[Municipality]":
    """A copy of the record's case's municipality (a case never changes municipality),
    kept by `CopiesCaseMunicipality.save()` and guarded by triggers (migrations/0006)."""
    return models.ForeignKey(
        Municipality,
        verbose_name=_("市町村"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )


class CopiesCaseMunicipality:
    """Sets `municipality` from `case` on every save (bulk_create skips this: set it there)."""

    case: Case
    case_id: int | None
    municipality_id: int | None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.case_id is not None:
            self.municipality_id = self.case.municipality_id
        super().save(*args, **kwargs)  # type: ignore[misc]  # a mixin: the model's save


class ReferralQuerySet(ScopedQuerySet["Referral"]):
    """Referrals in scope: `.in_scope(user)` (accounts.access)."""

    def open(self) -> "ReferralQuerySet":
        return self.filter(status__in=Referral.OPEN_STATUSES)

    def counting_as_ibasho(self) -> "ReferralQuerySet":
        """Referrals that counted as 居場所等 (target three) when they connected."""
        return self.filter(counted_as_ibasho=True)

    def connected_between(self, start: dt.date, end: dt.date) -> "ReferralQuerySet":
        """Referrals whose first actual use falls in [start, end] (both inclusive).

        `connected_on` is set only by `referral_connect` (and kept when the referral ends),
        and the database refuses it on any other status: a referral that never connected
        has none and counts nowhere.
        """
        return self.filter(connected_on__gte=start, connected_on__lte=end)


class Referral(CopiesCaseMunicipality, models.Model):
    """つなぎ: a case connected to a resource, closed-loop."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("提案")
        ARRANGING = "arranging", _("調整中")
        CONNECTED = "connected", _("つながった")
        ENDED = "ended", _("終了")
        NOT_REALISED = "not_realised", _("不成立")

    class NotRealisedReason(models.TextChoices):
        DECLINED = "declined", _("本人が希望しない")
        CAPACITY = "capacity", _("定員")
        LOST_CONTACT = "lost_contact", _("連絡が取れない")
        OTHER = "other", _("その他")

    OPEN_STATUSES = (Status.PROPOSED, Status.ARRANGING, Status.CONNECTED)

    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.PROTECT, related_name="referrals"
    )
    # Scope filters and the follow-up lists read it directly instead of joining every case
    # of the municipality (bench/: the home page's referral lists).
    municipality = case_municipality()
    resource = models.ForeignKey(
        Resource, verbose_name=_("つなぎ先"), on_delete=models.PROTECT, related_name="referrals"
    )
    status = models.CharField(
        _("状況"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_on = models.DateField(_("提案日"))
    arranging_on = models.DateField(_("調整開始日"), null=True, blank=True)
    connected_on = models.DateField(_("つながった日"), null=True, blank=True)
    ended_on = models.DateField(_("終了日"), null=True, blank=True)
    not_realised_on = models.DateField(_("不成立日"), null=True, blank=True)
    not_realised_reason = models.CharField(
        _("不成立の理由"), max_length=20, choices=NotRealisedReason.choices, blank=True
    )
    not_realised_detail = models.CharField(_("不成立の理由（詳細）"), max_length=200, blank=True)
    # What the configuration said on `connected_on` (the kind of the resource that day and
    # that kind's flags that day), stamped by `referral_connect`: a later change of a kind's
    # flags or of a resource's kind does not rewrite past years (referrals.history). False
    # until the referral connects.
    counted_as_ibasho = models.BooleanField(
        _("居場所等として数える"), default=False, db_default=False, editable=False
    )
    counted_as_work_training = models.BooleanField(
        _("中間的就労等として数える"), default=False, db_default=False, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("つなぎ")
        verbose_name_plural = _("つなぎ")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "resource"],
                condition=Q(status__in=["proposed", "arranging", "connected"]),
                name="referral_one_open_per_case_resource",
            ),
            models.CheckConstraint(
                condition=Q(arranging_on__isnull=True) | Q(arranging_on__gte=F("proposed_on")),
                name="referral_arranging_after_proposed",
            ),
            models.CheckConstraint(
                condition=Q(connected_on__isnull=True)
                | Q(connected_on__gte=Coalesce(F("arranging_on"), F("proposed_on"))),
                name="referral_connected_after_arranging",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | (Q(connected_on__isnull=False) & Q(ended_on__gte=F("connected_on"))),
                name="referral_ended_after_connected",
            ),
            models.CheckConstraint(
                condition=Q(not_realised_on__isnull=True)
                | Q(not_realised_on__gte=Coalesce(F("arranging_on"), F("proposed_on"))),
                name="referral_not_realised_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["connected", "ended"]) | Q(connected_on__isnull=False),
                name="referral_connected_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_realised")
                | (Q(not_realised_on__isnull=False) & ~Q(not_realised_reason="")),
                name="referral_not_realised_has_date_and_reason",
            ),
            # Each status has exactly the dates of the steps it went through, so that
            # `connected_on` (what target three counts) exists only after a real connection.
            models.CheckConstraint(
                condition=(
                    Q(
                        status="proposed",
                        arranging_on__isnull=True,
                        connected_on__isnull=True,
                        ended_on__isnull=True,
                        not_realised_on__isnull=True,
                    )
                    | Q(
                        status="arranging",
                        arranging_on__isnull=False,
                        connected_on__isnull=True,
                        ended_on__isnull=True,
                        not_realised_on__isnull=True,
                    )
                    | Q(
                        status="connected",
                        connected_on__isnull=False,
                        ended_on__isnull=True,
                        not_realised_on__isnull=True,
                    )
                    | Q(
                        status="ended",
                        connected_on__isnull=False,
                        ended_on__isnull=False,
                        not_realised_on__isnull=True,
                    )
                    | Q(status="not_realised", connected_on__isnull=True, ended_on__isnull=True)
                )
                & (Q(status="not_realised") | Q(not_realised_reason="")),
                name="referral_dates_match_status",
            ),
        ]
        indexes = [
            # K3 (ibasho links): connected referrals by connection date.
            models.Index(
                fields=["connected_on"],
                name="referral_connected_idx",
                condition=Q(connected_on__isnull=False),
            ),
            # Home follow-up list (referrals.selectors.stuck_arranging): 調整中 for 30 days,
            # per municipality of the user's scope.
            models.Index(
                fields=["municipality", "arranging_on"],
                name="referral_muni_arranging_idx",
                condition=Q(status="arranging"),
            ),
            # The home follow-up list (referrals.selectors.quiet_connected: connected long
            # ago, per municipality).
            models.Index(
                fields=["municipality", "connected_on", "resource"],
                name="referral_muni_connected_idx",
                condition=Q(connected_on__isnull=False),
            ),
            # K3 per municipality (kpi.selectors._ibasho_links: counted links connected in the
            # year), counted from the index alone.
            models.Index(
                fields=["municipality", "connected_on"],
                name="referral_muni_ibasho_idx",
                condition=Q(counted_as_ibasho=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.resource} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("referrals:referral_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def status_date(self) -> dt.date:
        """The date of the step the referral is at; a next step may not be earlier."""
        return {
            self.Status.PROPOSED: self.proposed_on,
            self.Status.ARRANGING: self.arranging_on,
            self.Status.CONNECTED: self.connected_on,
            self.Status.ENDED: self.ended_on,
            self.Status.NOT_REALISED: self.not_realised_on,
        }[self.Status(self.status)] or self.proposed_on


class ReferralTransition(Voidable, models.Model):
    """Every status change of a referral, with its date and who made it. A step undone
    (`referral_step_undo`) stays, voided, with who/when/why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Referral.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Referral.Status.choices)
    on = models.DateField(_("日付"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("つなぎの経過")
        verbose_name_plural = _("つなぎの経過")
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status} → {self.to_status}"


class ReferralNote(SubmittedOnce):
    """A note on how a connected referral is going (use of the ibasho, etc.)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="notes")
    date = models.DateField(_("日付"))
    text = models.TextField(_("内容"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("つなぎの記録")
        verbose_name_plural = _("つなぎの記録")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.date}"

    def get_absolute_url(self) -> str:
        return self.referral.get_absolute_url()


class EmploymentOutcomeQuerySet(ScopedQuerySet["EmploymentOutcome"]):
    """EmploymentOutcomes in scope: `.in_scope(user)` (accounts.access)."""


class EmploymentOutcome(CopiesCaseMunicipality, Voidable, SubmittedOnce):
    """就労: a person started a job. K4 counts distinct persons with `after_intermediate`."""

    class EmploymentType(models.TextChoices):
        REGULAR = "regular", _("一般就労")
        DISABILITY = "disability", _("障害者雇用")
        PART_TIME = "part_time", _("パート・アルバイト")
        SELF_EMPLOYED = "self_employed", _("自営")
        WELFARE = "welfare", _("福祉的就労（就労継続支援等）")
        OTHER = "other", _("その他")

    class Source(models.TextChoices):
        AUTOMATIC = "auto", _("つなぎの記録から自動判定")
        MANUAL = "manual", _("手動（システム外の訓練等）")

    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.PROTECT, related_name="employments"
    )
    # K4 and the scope filter read it without joining the cases.
    municipality = case_municipality()
    person = models.ForeignKey(
        Person, verbose_name=_("本人"), on_delete=models.PROTECT, related_name="employments"
    )
    started_on = models.DateField(_("就労開始日"))
    employment_type = models.CharField(
        _("就労の形態"), max_length=20, choices=EmploymentType.choices
    )
    after_intermediate = models.BooleanField(_("中間的就労等を経て"), default=False)
    after_intermediate_source = models.CharField(
        _("判定の根拠"), max_length=10, choices=Source.choices, default=Source.AUTOMATIC
    )
    manual_reason = models.CharField(_("手動判定の理由"), max_length=500, blank=True)
    # The connected work-training referral that made the automatic rule say yes.
    basis_referral = models.ForeignKey(
        Referral,
        verbose_name=_("根拠のつなぎ"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EmploymentOutcomeQuerySet.as_manager()

    class Meta:
        verbose_name = _("就労")
        verbose_name_plural = _("就労")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(after_intermediate_source="manual") | ~Q(manual_reason=""),
                name="employment_manual_has_reason",
            ),
            # An automatic "yes" always names the connected work-training referral behind it.
            models.CheckConstraint(
                condition=~Q(after_intermediate_source="auto", after_intermediate=True)
                | Q(basis_referral__isnull=False),
                name="employment_auto_yes_has_basis",
            ),
        ]
        indexes = [
            # K4 (employed after intermediate employment) by start date.
            models.Index(
                fields=["started_on"],
                name="employment_after_interm_idx",
                condition=Q(after_intermediate=True),
            ),
            # K4 per municipality of the scope (kpi.selectors._employments).
            models.Index(
                fields=["municipality", "started_on"],
                name="employment_muni_interm_idx",
                condition=Q(after_intermediate=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.started_on}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:case_referrals", args=[self.case_id])
