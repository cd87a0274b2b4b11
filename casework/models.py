"""The casework cycle: assessment → support plan (goals) → review (evaluation) → revised plan
or closure; consent and the legal basis for sharing; contact details.

Every record hangs off a case (or a person), so it is in a user's scope exactly when the case
is: `in_scope(user)` (accounts.access.CaseChildQuerySet) filters on the case's municipality.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.access import CaseChildQuerySet, ScopedQuerySet
from cases.models import Case, HouseholdMember, Person
from core.models import Voidable
from core.resubmission import SubmittedOnce
from platforms.models import Agency, CaseMeeting
from referrals.models import Referral, Resource


class _Named(models.Model):
    """An admin-editable list entry with a Japanese and an English name."""

    code = models.SlugField(_("コード"), max_length=50, unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    active = models.BooleanField(_("有効"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name_ja


class AssessmentDomain(_Named):
    """A domain of the assessment sheet (生活, 健康…), with a line of guidance for the form."""

    guidance = models.CharField(_("記入の目安"), max_length=300, blank=True)

    class Meta(_Named.Meta):
        verbose_name = _("アセスメントの領域")
        verbose_name_plural = _("アセスメントの領域")


class SupportStage(_Named):
    """A stage of support (MHLW guideline). `sort_order` is the order of progress: a review
    whose stage sorts after the previous review's stage is a step forward."""

    description = models.CharField(_("説明"), max_length=300, blank=True)

    class Meta(_Named.Meta):
        verbose_name = _("支援段階")
        verbose_name_plural = _("支援段階")


class ProgressStep(_Named):
    """An observable step of progress that is not employment (外出の頻度が増えた…)."""

    class Meta(_Named.Meta):
        verbose_name = _("変化の指標")
        verbose_name_plural = _("変化の指標")


class Risk(models.TextChoices):
    MEDICAL_CARE = "medical_care", _("医療的ケアの必要")
    SELF_HARM = "self_harm", _("自傷他害の恐れ")
    ABUSE = "abuse", _("虐待・DV")
    FAMILY_8050 = "8050", _("8050（親の高齢化・介護）")
    POVERTY = "poverty", _("生活困窮")
    ISOLATION = "isolation", _("世帯の孤立")
    OTHER = "other", _("その他")


class Assessment(Voidable, SubmittedOnce):
    """アセスメント: read-only once saved; a mistake is voided (取消) with a reason and a new
    assessment recorded (core.models.Voidable: who, when, why)."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("インテーク時")
        REASSESSMENT = "reassessment", _("再アセスメント")
        CLOSING = "closing", _("終結時")

    class Urgency(models.TextChoices):
        HIGH = "high", _("高（すぐに対応が必要）")
        MEDIUM = "medium", _("中（早めの対応が必要）")
        LOW = "low", _("低（継続して見守る）")

    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField(_("実施日"))
    kind = models.CharField(_("区分"), max_length=20, choices=Kind.choices, default=Kind.INTAKE)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("実施者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    strengths = models.TextField(_("強み（本人・世帯・地域）"), blank=True)
    risks = models.JSONField(_("リスク"), default=list, blank=True)
    risk_notes = models.CharField(_("リスクの補足"), max_length=500, blank=True)
    urgency = models.CharField(_("緊急度"), max_length=10, choices=Urgency.choices)
    summary = models.TextField(_("見立て（総合所見）"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("アセスメント")
        verbose_name_plural = _("アセスメント")
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="assessment_void_has_reason",
            ),
        ]
        indexes = [
            # The case page and the home panel "in アセスメント without an assessment".
            models.Index(fields=["case", "-assessed_on"], name="assessment_case_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.assessed_on:%Y-%m-%d} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("casework:assessment_detail", args=[self.pk])

    def risk_labels(self) -> list[str]:
        labels = dict(Risk.choices)
        return [str(labels[r]) for r in self.risks if r in labels]


class AssessmentSituation(models.Model):
    """The situation in one domain, as written in one assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="situations")
    domain = models.ForeignKey(
        AssessmentDomain, verbose_name=_("領域"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("状況"))

    class Meta:
        verbose_name = _("領域ごとの状況")
        verbose_name_plural = _("領域ごとの状況")
        ordering = ["domain__sort_order", "domain_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "domain"], name="situation_one_per_domain"
            ),
        ]

    def __str__(self) -> str:
        return str(self.domain)


class SupportPlan(SubmittedOnce):
    """支援プラン, one version. A revision (見直し) is a new version; the old one is kept."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("作成中")
        DECIDED = "decided", _("決定")
        REVISED = "revised", _("見直し済み")
        ENDED = "ended", _("終了")

    CURRENT_STATUSES = (Status.DRAFT, Status.DECIDED)

    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.PROTECT, related_name="plans"
    )
    number = models.PositiveSmallIntegerField(_("版"), editable=False)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("前の版"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
        editable=False,
    )
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    drafted_on = models.DateField(_("作成日"))
    policy = models.TextField(_("支援の方針"), blank=True)
    wishes = models.TextField(_("本人・家族の希望"), blank=True)
    next_review_on = models.DateField(_("次回の見直し予定日（モニタリング）"))
    decided_meeting = models.ForeignKey(
        CaseMeeting,
        verbose_name=_("決定した会議"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_plans",
        editable=False,
    )
    decided_on = models.DateField(_("決定日"), null=True, blank=True, editable=False)
    ended_on = models.DateField(_("終了日"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("支援プラン")
        verbose_name_plural = _("支援プラン")
        ordering = ["case", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="plan_version_unique"),
            # One current plan (作成中 or 決定) per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["draft", "decided"]),
                name="plan_one_current_per_case",
            ),
            models.CheckConstraint(
                condition=Q(next_review_on__gte=F("drafted_on")),
                name="plan_review_not_before_draft",
            ),
            # Decided exactly when a meeting and a date are named (revised/ended keep them).
            models.CheckConstraint(
                condition=~Q(status="decided")
                | Q(decided_meeting__isnull=False, decided_on__isnull=False),
                name="plan_decided_has_meeting",
            ),
        ]
        indexes = [
            # Reviews due on the counselor's home page: current plans by review date.
            models.Index(
                fields=["next_review_on"],
                name="plan_current_review_idx",
                condition=Q(status__in=["draft", "decided"]),
            ),
        ]

    def __str__(self) -> str:
        return str(_("支援プラン 第%(n)s版") % {"n": self.number})

    def get_absolute_url(self) -> str:
        return reverse("casework:plan_detail", args=[self.pk])

    @property
    def is_current(self) -> bool:
        return self.status in self.CURRENT_STATUSES

    @property
    def was_decided(self) -> bool:
        return self.decided_meeting_id is not None


class PlanGoal(SubmittedOnce):
    class Term(models.TextChoices):
        SHORT = "short", _("短期目標")
        LONG = "long", _("長期目標")

    plan = models.ForeignKey(
        SupportPlan, verbose_name=_("支援プラン"), on_delete=models.CASCADE, related_name="goals"
    )
    term = models.CharField(_("期間の区分"), max_length=10, choices=Term.choices)
    goal = models.CharField(_("目標"), max_length=300)
    supports = models.TextField(_("具体的な支援内容"), blank=True)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("担う関係機関"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resource = models.ForeignKey(
        Resource,
        verbose_name=_("利用する社会資源"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    who = models.CharField(_("担当（その他）"), max_length=200, blank=True)
    starts_on = models.DateField(_("開始"))
    ends_on = models.DateField(_("終了予定"))
    referrals = models.ManyToManyField(
        Referral, verbose_name=_("関連するつなぎ"), blank=True, related_name="plan_goals"
    )

    class Meta:
        verbose_name = _("目標")
        verbose_name_plural = _("目標")
        ordering = ["plan", "-term", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="goal_period_in_order"
            ),
        ]

    def __str__(self) -> str:
        return self.goal

    def get_absolute_url(self) -> str:
        return self.plan.get_absolute_url()


class Review(SubmittedOnce):
    """モニタリング・評価 of a plan on a date: per goal, the stage of support, steps of progress.

    `moved_forward` is decided when the review is saved (its stage after the person's previous
    review's stage) and kept: the year's figure does not change when stages are re-ordered.
    """

    plan = models.ForeignKey(
        SupportPlan, verbose_name=_("支援プラン"), on_delete=models.PROTECT, related_name="reviews"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.PROTECT, related_name="reviews",
        editable=False,
    )  # fmt: skip
    reviewed_on = models.DateField(_("実施日"))
    due_on = models.DateField(_("予定日"), editable=False)
    on_time = models.BooleanField(_("予定日までに実施"), editable=False)
    stage = models.ForeignKey(
        SupportStage,
        verbose_name=_("支援段階"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    moved_forward = models.BooleanField(_("段階が進んだ"), default=False, editable=False)
    steps = models.ManyToManyField(
        ProgressStep, verbose_name=_("見られた変化"), blank=True, related_name="+"
    )
    notes = models.TextField(_("評価の所見"), blank=True)
    closing = models.BooleanField(_("終結時の評価"), default=False, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("記録者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("モニタリング・評価")
        verbose_name_plural = _("モニタリング・評価")
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            # The KPI secondary figures: reviews of a year, per municipality through the case.
            models.Index(fields=["reviewed_on", "case"], name="review_date_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.reviewed_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("casework:review_detail", args=[self.pk])


class GoalEvaluation(models.Model):
    class Result(models.TextChoices):
        ACHIEVED = "achieved", _("達成")
        PARTLY = "partly", _("一部達成")
        NOT_YET = "not_yet", _("未達成")
        CHANGED = "changed", _("目標を変更")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="evaluations")
    goal = models.ForeignKey(PlanGoal, on_delete=models.PROTECT, related_name="evaluations")
    result = models.CharField(_("評価"), max_length=10, choices=Result.choices)
    note = models.CharField(_("メモ"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("目標の評価")
        verbose_name_plural = _("目標の評価")
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="evaluation_one_per_goal"),
        ]

    def __str__(self) -> str:
        return self.get_result_display()


class Consent(SubmittedOnce):
    """Consent to share the person's information with other agencies."""

    class GivenBy(models.TextChoices):
        PERSON = "person", _("本人")
        FAMILY = "family", _("家族")
        PROXY = "proxy", _("代理人")

    class Method(models.TextChoices):
        WRITTEN = "written", _("書面")
        ORAL = "oral", _("口頭")

    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.PROTECT, related_name="consents"
    )
    given_by = models.CharField(_("同意した人"), max_length=10, choices=GivenBy.choices)
    given_by_name = models.CharField(_("同意した人の氏名・続柄"), max_length=100, blank=True)
    method = models.CharField(_("方法"), max_length=10, choices=Method.choices)
    agency_kinds = models.JSONField(_("共有先（機関の種別）"), default=list, blank=True)
    shared_with = models.CharField(_("共有先（具体的に）"), max_length=300, blank=True)
    valid_from = models.DateField(_("同意日"))
    valid_until = models.DateField(_("有効期限"), null=True, blank=True)
    withdrawn_on = models.DateField(_("撤回日"), null=True, blank=True, editable=False)
    withdrawal_note = models.CharField(_("撤回の内容"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("情報共有の同意")
        verbose_name_plural = _("情報共有の同意")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="consent_until_not_before_from",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("valid_from")),
                name="consent_withdrawn_not_before_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_given_by_display()} {self.get_method_display()} {self.valid_from}"

    def in_force_on(self, day: dt.date) -> bool:
        return (
            self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
            and (self.withdrawn_on is None or day < self.withdrawn_on)
        )

    def agency_kind_labels(self) -> list[str]:
        labels = dict(Agency.Kind.choices)
        return [str(labels[k]) for k in self.agency_kinds if k in labels]

    def get_absolute_url(self) -> str:
        return self.case.get_absolute_url() + "#casework"


class MeetingCaseBasis(models.Model):
    """The basis on which a meeting shared a case's information (one row per meeting and case)."""

    class Basis(models.TextChoices):
        CONSENT = "consent", _("本人・家族の同意")
        SUPPORT_MEETING = "support_meeting", _("支援会議（社会福祉法第106条の6・同意不要）")
        STATUTE = "statute", _("その他の法令上の根拠")

    meeting = models.ForeignKey(CaseMeeting, on_delete=models.CASCADE, related_name="bases")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="meeting_bases")
    basis = models.CharField(_("根拠"), max_length=20, choices=Basis.choices)
    consent = models.ForeignKey(
        Consent, verbose_name=_("同意"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    statute = models.CharField(_("法令名・条項"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("会議での情報共有の根拠")
        verbose_name_plural = _("会議での情報共有の根拠")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="basis_one_per_meeting_case"),
            models.CheckConstraint(
                condition=~Q(basis="statute") | ~Q(statute=""), name="basis_statute_named"
            ),
        ]

    def __str__(self) -> str:
        return self.get_basis_display()


class ContactDetailQuerySet(ScopedQuerySet["ContactDetail"]):
    scope_path = "person__municipality"


class ContactDetail(models.Model):
    """How to reach the person, or one household member (member set), and what to mind."""

    person = models.ForeignKey(
        Person, verbose_name=_("本人"), on_delete=models.CASCADE, related_name="contact_details"
    )
    member = models.OneToOneField(
        HouseholdMember,
        verbose_name=_("世帯員"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contact_detail",
    )
    phone = models.CharField(_("電話番号"), max_length=50, blank=True)
    address = models.CharField(_("住所"), max_length=300, blank=True)
    how_to_reach = models.CharField(_("連絡方法"), max_length=300, blank=True)
    caution = models.CharField(
        _("連絡時の配慮"),
        max_length=300,
        blank=True,
        help_text=_("例：本人に知られないように。平日日中のみ。母の携帯にだけ。"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactDetailQuerySet.as_manager()

    class Meta:
        verbose_name = _("連絡先")
        verbose_name_plural = _("連絡先")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(member__isnull=True),
                name="contact_one_for_person",
            ),
        ]

    def __str__(self) -> str:
        return str(self.member or self.person)
