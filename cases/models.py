import datetime as dt
import uuid
from typing import TypedDict, cast

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import WithAnnotations

from accounts.access import CaseChildQuerySet, ScopedQuerySet
from core.models import Municipality, Voidable
from core.resubmission import SubmittedOnce


class AgeBand(models.TextChoices):
    UNDER_15 = "u15", _("15歳未満")
    AGE_15_19 = "15-19", _("15〜19歳")
    AGE_20S = "20s", _("20代")
    AGE_30S = "30s", _("30代")
    AGE_40S = "40s", _("40代")
    AGE_50S = "50s", _("50代")
    AGE_60S = "60s", _("60代")
    AGE_70S = "70s", _("70代")
    OVER_80 = "80+", _("80歳以上")
    UNKNOWN = "unknown", _("不明")


class IssueTag(models.Model):
    """A complex-issue tag (複合課題): 8050問題, ヤングケアラー… Admin-editable."""

    code = models.SlugField(_("コード"), max_length=50, unique=True)
    name_ja = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    sort_order = models.PositiveIntegerField(_("表示順"), default=0)
    active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("複合課題タグ")
        verbose_name_plural = _("複合課題タグ")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_in_language(self.name_ja, self.name_en)

    @staticmethod
    def name_in_language(name_ja: str, name_en: str) -> str:
        """The name shown in the active language (English where it has one)."""
        return name_en if name_en and get_language() == "en" else name_ja


class PersonQuerySet(ScopedQuerySet["Person"]):
    """Persons in scope: `.in_scope(user)` (accounts.access)."""


class Person(models.Model):
    """本人: the person in withdrawal. Often not met at first (family-only consultations)."""

    class Sex(models.TextChoices):
        MALE = "male", _("男性")
        FEMALE = "female", _("女性")
        OTHER = "other", _("その他")
        UNKNOWN = "unknown", _("不明")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("居住市町村"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    kana = models.CharField(_("ふりがな"), max_length=100, blank=True)
    # `cases.kana.kana_key(kana)`, set by the services: the duplicate check compares this.
    kana_key = models.CharField(max_length=100, blank=True, editable=False)
    # `cases.kana.name_key(name)`: variant kanji and spaces folded, for search and duplicates.
    name_key = models.CharField(max_length=100, blank=True, editable=False)
    birth_year = models.PositiveSmallIntegerField(_("生まれ年"), null=True, blank=True)
    age_band = models.CharField(
        _("年齢層"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    sex = models.CharField(_("性別"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("本人")
        verbose_name_plural = _("本人")
        indexes = [
            # The intake duplicate check: same municipality, same normalised kana.
            models.Index(fields=["municipality", "kana_key"], name="person_muni_kanakey_idx"),
            # The intake duplicate check by name: same municipality, same normalised name.
            models.Index(fields=["municipality", "name_key"], name="person_muni_namekey_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.kana or str(_("氏名未確認"))


class Household(models.Model):
    """世帯: the household around a person, supported as a whole."""

    person = models.OneToOneField(
        Person, verbose_name=_("本人"), on_delete=models.CASCADE, related_name="household"
    )
    notes = models.TextField(_("世帯の状況"), blank=True)

    class Meta:
        verbose_name = _("世帯")
        verbose_name_plural = _("世帯")

    def __str__(self) -> str:
        return str(_("世帯"))


class HouseholdMember(SubmittedOnce):
    class Relationship(models.TextChoices):
        FATHER = "father", _("父")
        MOTHER = "mother", _("母")
        SIBLING = "sibling", _("兄弟姉妹")
        SPOUSE = "spouse", _("配偶者")
        CHILD = "child", _("子")
        GRANDPARENT = "grandparent", _("祖父母")
        OTHER = "other", _("その他")

    household = models.ForeignKey(
        Household, verbose_name=_("世帯"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    relationship = models.CharField(_("続柄"), max_length=20, choices=Relationship.choices)
    age_band = models.CharField(
        _("年齢層"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    needs_care = models.BooleanField(_("要介護・要支援"), default=False)
    young_carer = models.BooleanField(_("ヤングケアラー"), default=False)
    circumstances = models.CharField(_("本人以外の状況"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("世帯員")
        verbose_name_plural = _("世帯員")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_relationship_display()

    def get_absolute_url(self) -> str:
        """The household on the person's latest case (the member belongs to the person)."""
        case = self.household.person.cases.order_by("-intake_date", "-id").first()
        return f"{case.get_absolute_url()}#household" if case else ""


class CaseActivity(TypedDict):
    """What `CaseQuerySet.with_activity` adds to each case."""

    last_contact_on: dt.date | None
    next_action_on: dt.date | None
    next_action_text: str | None
    last_seen_on: dt.date


# Cases with their `CaseActivity` (what list pages and home panels read).
type CasesWithActivity = models.QuerySet[WithAnnotations[Case, CaseActivity]]


class CaseQuerySet(ScopedQuerySet["Case"]):
    """Cases in scope: `.in_scope(user)` (accounts.access)."""

    def open(self) -> "CaseQuerySet":
        """Open and not voided: a case opened by mistake is off every work list."""
        return self.exclude(status__in=Case.CLOSED_STATUSES).filter(voided_at__isnull=True)

    def with_activity(self) -> CasesWithActivity:
        """Annotate the latest consultation: `last_contact_on`, `next_action_on`,
        `next_action_text`, and `last_seen_on` (last contact, or the intake date if none)."""
        latest = Consultation.objects.filter(case=OuterRef("pk"), voided_at__isnull=True).order_by(
            "-date", "-id"
        )
        annotated = self.annotate(
            last_contact_on=Subquery(latest.values("date")[:1]),
            next_action_on=Subquery(latest.values("next_action_date")[:1]),
            next_action_text=Subquery(latest.values("next_action")[:1]),
        ).annotate(last_seen_on=Coalesce(F("last_contact_on"), F("intake_date")))
        # The plugin types the annotations as Any: name their types.
        return cast(CasesWithActivity, annotated)

    def follow_up_due(self, today: dt.date) -> CasesWithActivity:
        """Open cases whose latest consultation set a next action due today or earlier."""
        return self.open().with_activity().filter(next_action_on__lte=today)

    def no_contact_since(self, day: dt.date) -> CasesWithActivity:
        """Open cases with no contact after `day` (counting the intake as a contact)."""
        return self.open().with_activity().filter(last_seen_on__lt=day)


class Case(Voidable, models.Model):
    """相談ケース: opened at intake in a municipality, followed until closed."""

    class Route(models.TextChoices):
        SELF = "self", _("本人")
        FAMILY = "family", _("家族")
        WELFARE_VOLUNTEER = "minsei", _("民生委員・児童委員")
        SCHOOL = "school", _("学校")
        MEDICAL = "medical", _("医療機関")
        COMMUNITY_CARE = "houkatsu", _("地域包括支援センター")
        SOCIAL_WELFARE_COUNCIL = "shakyo", _("社会福祉協議会")
        MUNICIPALITY = "municipality", _("市町村の担当課")
        HEALTH_OFFICE = "health_office", _("福祉保健所")
        OTHER_AGENCY = "other_agency", _("その他の関係機関")
        OTHER = "other", _("その他")
        PUBLICITY = "publicity", _("広報・リーフレットを見て")

    class Visitor(models.TextChoices):
        PERSON = "person", _("本人")
        FAMILY = "family", _("家族")
        PERSON_AND_FAMILY = "person_family", _("本人と家族")
        AGENCY = "agency", _("関係機関")
        OTHER = "other", _("その他")

    class WithdrawalDuration(models.TextChoices):
        UNDER_6M = "lt6m", _("6か月未満")
        M6_TO_1Y = "6m-1y", _("6か月〜1年未満")
        Y1_TO_3 = "1-3y", _("1〜3年未満")
        Y3_TO_5 = "3-5y", _("3〜5年未満")
        Y5_TO_10 = "5-10y", _("5〜10年未満")
        OVER_10Y = "10y+", _("10年以上")
        UNKNOWN = "unknown", _("不明")

    class Status(models.TextChoices):
        INTAKE = "intake", _("受付")
        ASSESSMENT = "assessment", _("アセスメント")
        ACTIVE = "active", _("支援中")
        CLOSED = "closed", _("終結")
        SUSPENDED = "suspended", _("中断")

    class EndReason(models.TextChoices):
        """Why support ended (終結) or stopped (中断): counted on the dashboard."""

        GOAL_REACHED = "goal_reached", _("目標達成")
        HANDED_OVER = "handed_over", _("他機関へ引継ぎ")
        MOVED = "moved", _("転居")
        PERSONS_WISH = "persons_wish", _("本人・家族の希望")
        NO_CONTACT = "no_contact", _("連絡が取れない")
        DEATH = "death", _("死亡")
        OTHER = "other", _("その他")

    CLOSED_STATUSES = (Status.CLOSED, Status.SUSPENDED)

    number = models.CharField(_("ケース番号"), max_length=40, unique=True, editable=False)
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("市町村"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("受理年度"), editable=False)
    sequence = models.PositiveIntegerField(_("年度内番号"), editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("本人"), on_delete=models.PROTECT, related_name="cases"
    )
    intake_date = models.DateField(_("受理日"))
    intake_route = models.CharField(_("相談経路"), max_length=20, choices=Route.choices)
    visitor = models.CharField(_("来談者"), max_length=20, choices=Visitor.choices)
    issue_tags = models.ManyToManyField(
        IssueTag, verbose_name=_("複合課題"), blank=True, related_name="cases"
    )
    age_band_at_intake = models.CharField(
        _("受理時の年齢層"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    withdrawal_duration = models.CharField(
        _("ひきこもり期間"),
        max_length=10,
        choices=WithdrawalDuration.choices,
        default=WithdrawalDuration.UNKNOWN,
    )
    assigned_counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当相談員"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    status = models.CharField(
        _("状況"), max_length=20, choices=Status.choices, default=Status.INTAKE
    )
    status_changed_on = models.DateField(_("状況の変更日"))
    status_reason = models.CharField(_("状況の理由"), max_length=500, blank=True)
    end_reason = models.CharField(
        _("終結・中断の理由の区分"), max_length=20, choices=EndReason.choices, blank=True
    )
    closed_on = models.DateField(_("終結・中断日"), null=True, blank=True)
    # Optimistic locking: an edit carries the version it started from.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("相談ケース")
        verbose_name_plural = _("相談ケース")
        ordering = ["-intake_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "sequence"],
                name="case_number_sequence_unique",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("intake_date")),
                name="case_closed_not_before_intake",
            ),
            models.CheckConstraint(
                condition=Q(status_changed_on__gte=F("intake_date")),
                name="case_status_change_not_before_intake",
            ),
            # A closing date exactly when the case is closed or suspended.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["closed", "suspended"], closed_on__isnull=False)
                    | (~Q(status__in=["closed", "suspended"]) & Q(closed_on__isnull=True))
                ),
                name="case_closed_on_iff_closed",
            ),
        ]
        indexes = [
            # K1 (new consultations) and the case list's intake-date filter, per municipality.
            models.Index(fields=["municipality", "intake_date"], name="case_muni_intake_idx"),
            # The counselor's home page: my open cases.
            models.Index(fields=["assigned_counselor", "status"], name="case_counselor_status_idx"),
            # The case list's counselor choices: has this user a case in these municipalities?
            models.Index(
                fields=["assigned_counselor", "municipality"], name="case_counselor_muni_idx"
            ),
            # Open cases of a municipality: the home panels and the list's "open" filter.
            models.Index(
                fields=["municipality", "assigned_counselor"],
                name="case_open_muni_idx",
                condition=~Q(status__in=["closed", "suspended"]),
            ),
            # The voided cases of a municipality (few): the home follow-up lists leave their
            # referrals out by this short list (referrals.selectors._live_cases) instead of
            # reading every referral's case.
            models.Index(
                fields=["municipality"],
                name="case_voided_muni_idx",
                condition=Q(voided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES


class CaseStatusChange(models.Model):
    """The history of a case's status: every transition with its date and reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Case.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Case.Status.choices)
    changed_on = models.DateField(_("変更日"))
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    end_reason = models.CharField(
        _("終結・中断の理由の区分"), max_length=20, choices=Case.EndReason.choices, blank=True
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("状況の変更")
        verbose_name_plural = _("状況の変更")
        ordering = ["changed_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


class Consultation(Voidable, models.Model):
    """相談記録: one contact on a case."""

    class Method(models.TextChoices):
        VISIT = "visit", _("来所")
        PHONE = "phone", _("電話")
        HOME_VISIT = "home_visit", _("訪問（アウトリーチ）")
        EMAIL = "email", _("メール")
        ONLINE = "online", _("オンライン")
        ACCOMPANY = "accompany", _("同行")

    class WithWhom(models.TextChoices):
        PERSON = "person", _("本人")
        FAMILY = "family", _("家族")
        PERSON_AND_FAMILY = "person_family", _("本人と家族")
        AGENCY = "agency", _("関係機関")

    case = models.ForeignKey(
        Case, verbose_name=_("ケース"), on_delete=models.CASCADE, related_name="consultations"
    )
    date = models.DateField(_("相談日"))
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices)
    with_whom = models.CharField(_("相手"), max_length=20, choices=WithWhom.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("所要時間（分）"), null=True, blank=True)
    notes = models.TextField(_("内容"), blank=True)
    next_action = models.CharField(_("次の対応"), max_length=500, blank=True)
    next_action_date = models.DateField(_("次の対応日"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("記録者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # One submission, one record: the form carries a token; a resubmission finds the first.
    submission_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("相談記録")
        verbose_name_plural = _("相談記録")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_action_date__isnull=True) | Q(next_action_date__gte=F("date")),
                name="consultation_next_action_not_before_date",
            ),
        ]
        indexes = [
            # The case timeline and "last contact" per case; and the KPI dashboard's 延べ件数 /
            # 実人数 by method (kpi.selectors._consultation_figures), which reaches a year's
            # consultations case by case: `method` and `id` in the key make that an index-only
            # scan instead of one heap fetch per consultation (bench/, the dashboard).
            models.Index(
                fields=["case", "-date", "method", "id"], name="consult_case_date_method_idx"
            ),
            # The home page's latest consultations in my scope (cases.selectors.
            # home_recent_activity): read from the newest end, stopping after ten rows.
            models.Index(fields=["-date", "-created_at", "-id"], name="consult_latest_idx"),
            # The latest valid consultation of a case, as `with_activity` and the home page's
            # case panels (cases.selectors._home_cases) read it for every open case of a
            # counselor: its last contact and next action dates from the index alone.
            models.Index(
                fields=["case", "-date", "-id", "next_action_date"],
                name="consult_case_latest_idx",
                condition=Q(voided_at__isnull=True),
            ),
            # Follow-ups due and overdue on the counselor's home page.
            models.Index(
                fields=["next_action_date"],
                name="consult_next_action_idx",
                condition=Q(next_action_date__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.date:%Y-%m-%d} {self.get_method_display()}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.case_id]) + f"#consultation-{self.pk}"
