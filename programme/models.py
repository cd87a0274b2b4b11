"""The prefecture's own programme (the plan's R4 actions): the fact-finding register and its
outreach, supervision of case meetings, training, publicity and the support periods of places.

Register entries, outreach notes and supervision advice are personal data: read them through
the `in_scope` querysets (accounts.access.ScopedQuerySet), like cases. Training events,
publicity and support periods name nobody.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.access import ScopedQuerySet
from cases.models import AgeBand, Case
from core.models import Jurisdiction, Municipality
from core.resubmission import SubmittedOnce
from platforms.models import CaseMeeting
from referrals.models import Resource


class SurveyEntryQuerySet(ScopedQuerySet["SurveyEntry"]):
    """Register entries in scope: `.in_scope(user)` (accounts.access)."""

    def open(self) -> "SurveyEntryQuerySet":
        """Entries not yet connected to a case and not closed."""
        return self.filter(case__isnull=True, closed_on__isnull=True)


class SurveyEntry(SubmittedOnce):
    """実態把握名簿: a person reported by a watcher, not (yet) in consultation.

    As little identification as the work needs: who reported and when, where, age and duration
    bands, household situation; the name and address only when the reporter gave them.
    """

    class Reporter(models.TextChoices):
        WELFARE_VOLUNTEER = "minsei", _("民生委員・児童委員")
        COMMUNITY_CARE = "houkatsu", _("地域包括支援センター")
        SCHOOL = "school", _("学校")
        SOCIAL_WELFARE_COUNCIL = "shakyo", _("社会福祉協議会")
        MEDICAL = "medical", _("医療機関")
        MUNICIPALITY = "municipality", _("市町村の担当課")
        NEIGHBOUR = "neighbour", _("近隣・知人")
        OTHER = "other", _("その他")

    class HouseholdType(models.TextChoices):
        ALONE = "alone", _("単身")
        PARENTS = "parents", _("親と同居")
        ELDERLY_PARENTS = "elderly_parents", _("高齢の親と同居（8050）")
        SPOUSE = "spouse", _("配偶者・子と同居")
        OTHER = "other", _("その他")
        UNKNOWN = "unknown", _("不明")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("市町村"), on_delete=models.PROTECT, related_name="+"
    )
    reported_on = models.DateField(_("把握日"))
    reporter = models.CharField(_("把握の経路"), max_length=20, choices=Reporter.choices)
    reporter_note = models.CharField(
        _("報告者"), max_length=200, blank=True, help_text=_("例：〇〇地区の民生委員")
    )
    age_band = models.CharField(
        _("年齢層"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    withdrawal_duration = models.CharField(
        _("ひきこもり期間"),
        max_length=10,
        choices=Case.WithdrawalDuration.choices,
        default=Case.WithdrawalDuration.UNKNOWN,
    )
    household = models.CharField(
        _("世帯の状況"),
        max_length=20,
        choices=HouseholdType.choices,
        default=HouseholdType.UNKNOWN,
    )
    agency_involved = models.BooleanField(_("関わっている機関あり"), default=False)
    agency_note = models.CharField(_("関わっている機関"), max_length=200, blank=True)
    name = models.CharField(_("氏名（任意）"), max_length=100, blank=True)
    address = models.CharField(_("住所（任意）"), max_length=300, blank=True)
    notes = models.TextField(_("把握の内容"), blank=True)
    next_outreach_on = models.DateField(_("次のアウトリーチ予定日"), null=True, blank=True)
    case = models.OneToOneField(
        Case,
        verbose_name=_("つながった相談ケース"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="survey_entry",
    )
    closed_on = models.DateField(_("対応終了日"), null=True, blank=True)
    closed_reason = models.CharField(_("対応終了の理由"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SurveyEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("実態把握名簿")
        verbose_name_plural = _("実態把握名簿")
        ordering = ["-reported_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("reported_on")),
                name="surveyentry_closed_not_before_reported",
            ),
            models.CheckConstraint(
                condition=Q(next_outreach_on__isnull=True)
                | Q(next_outreach_on__gte=F("reported_on")),
                name="surveyentry_outreach_not_before_reported",
            ),
        ]
        indexes = [
            # The programme figures (entries per scope and year) and the register list.
            models.Index(fields=["municipality", "reported_on"], name="surveyentry_muni_rep_idx"),
            # The home panel: open entries with an outreach due.
            models.Index(
                fields=["next_outreach_on"],
                name="surveyentry_due_idx",
                condition=Q(case__isnull=True, closed_on__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('名簿')} {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("programme:entry_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.case_id is None and self.closed_on is None


class OutreachAttempt(SubmittedOnce):
    """アウトリーチ: one attempt to reach a register entry (visit, letter, call, accompanying)."""

    class Method(models.TextChoices):
        VISIT = "visit", _("訪問")
        LETTER = "letter", _("手紙")
        PHONE = "phone", _("電話")
        ACCOMPANY = "accompany", _("同行")

    class Outcome(models.TextChoices):
        MET = "met", _("会えた")
        FAMILY_ONLY = "family_only", _("家族のみ")
        ABSENT = "absent", _("不在")
        LETTER_LEFT = "letter_left", _("手紙を置いた")
        REFUSED = "refused", _("拒否")

    # The outcomes where someone was reached: the person or the family.
    REACHED = (Outcome.MET, Outcome.FAMILY_ONLY)

    entry = models.ForeignKey(
        SurveyEntry, verbose_name=_("名簿"), on_delete=models.CASCADE, related_name="attempts"
    )
    date = models.DateField(_("実施日"))
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices)
    outcome = models.CharField(_("結果"), max_length=20, choices=Outcome.choices)
    two_person = models.BooleanField(_("2人で訪問"), default=False)
    companion = models.CharField(_("同行者"), max_length=200, blank=True)
    notes = models.TextField(_("記録"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("記録者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("アウトリーチ")
        verbose_name_plural = _("アウトリーチ")
        ordering = ["-date", "-id"]
        indexes = [
            # "Entries reached by outreach" per year, and an entry's history.
            models.Index(fields=["entry", "date"], name="outreach_entry_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_method_display()}"

    @property
    def reached(self) -> bool:
        return self.outcome in self.REACHED

    def get_absolute_url(self) -> str:
        return self.entry.get_absolute_url()


class SupervisionRequest(SubmittedOnce):
    """スーパーバイズ: a municipality asks for it on a case meeting (or a case); the centre or a
    福祉保健所 accepts and names the supervisor; the advice is recorded apart from the minutes."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("依頼中")
        ACCEPTED = "accepted", _("受諾")
        GIVEN = "given", _("実施済")
        DECLINED = "declined", _("お断り")
        WITHDRAWN = "withdrawn", _("取り下げ")

    class Body(models.TextChoices):
        CENTER = "center", _("ひきこもり地域支援センター")
        HEALTH_OFFICE = "health_office", _("福祉保健所")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("依頼した市町村"), on_delete=models.PROTECT, related_name="+"
    )
    meeting = models.ForeignKey(
        CaseMeeting,
        verbose_name=_("ケース会議"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_requests",
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("ケース"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_requests",
    )
    requested_on = models.DateField(_("依頼日"))
    question = models.TextField(_("相談したいこと"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("状況"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    body = models.CharField(_("実施機関"), max_length=20, choices=Body.choices, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("福祉保健所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervisor_name = models.CharField(_("スーパーバイザー"), max_length=100, blank=True)
    accepted_on = models.DateField(_("受諾日"), null=True, blank=True)
    given_on = models.DateField(_("実施日"), null=True, blank=True)
    advice = models.TextField(_("助言の内容"), blank=True)
    closed_reason = models.CharField(_("理由"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("スーパーバイズ")
        verbose_name_plural = _("スーパーバイズ")
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=False) | Q(case__isnull=False),
                name="supervision_meeting_or_case",
            ),
            models.CheckConstraint(
                condition=Q(accepted_on__isnull=True) | Q(accepted_on__gte=F("requested_on")),
                name="supervision_accepted_not_before_requested",
            ),
            models.CheckConstraint(
                condition=Q(given_on__isnull=True) | Q(given_on__gte=F("requested_on")),
                name="supervision_given_not_before_requested",
            ),
            # Given exactly when it has a date.
            models.CheckConstraint(
                condition=Q(status="given", given_on__isnull=False)
                | (~Q(status="given") & Q(given_on__isnull=True)),
                name="supervision_given_on_iff_given",
            ),
        ]
        indexes = [
            # The programme figures: requests and supervisions per municipality and year.
            models.Index(fields=["municipality", "requested_on"], name="supervision_muni_req_idx"),
        ]

    def __str__(self) -> str:
        return f"{_('スーパーバイズ')} {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("programme:supervision_detail", args=[self.pk])


class PrefectureRecord(SubmittedOnce):
    """What a training event and a publicity action share: the prefecture whose programme it
    belongs to, who recorded it and when, and the token of the form that created it."""

    prefecture_code = models.CharField(_("都道府県コード"), max_length=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class TrainingEvent(PrefectureRecord):
    """研修会・事例検討会・普及啓発講座 (no personal data: attendance is counted, not named)."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("研修会")
        CASE_STUDY = "case_study", _("事例検討会")
        AWARENESS = "awareness", _("普及啓発講座")

    class Audience(models.TextChoices):
        MUNICIPAL_STAFF = "municipal_staff", _("市町村職員")
        WELFARE_VOLUNTEERS = "minsei", _("民生委員")
        AGENCIES = "agencies", _("関係機関")
        FAMILIES = "families", _("家族")

    title = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("開催日"))
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("管轄"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空欄は県全域"),
    )
    organiser = models.CharField(_("主催"), max_length=200)
    audience = models.CharField(
        pgettext_lazy("training audience", "対象"), max_length=20, choices=Audience.choices
    )
    notes = models.TextField(_("内容"), blank=True)

    class Meta:
        verbose_name = _("研修・普及啓発")
        verbose_name_plural = _("研修・普及啓発")
        ordering = ["-held_on", "-id"]
        indexes = [
            # The programme figures: events per jurisdiction and year.
            models.Index(fields=["prefecture_code", "held_on"], name="training_pref_held_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programme:training_detail", args=[self.pk])


class TrainingAttendance(models.Model):
    """How many came to an event from one municipality and one kind of agency."""

    event = models.ForeignKey(
        TrainingEvent, verbose_name=_("研修"), on_delete=models.CASCADE, related_name="attendance"
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("市町村"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空欄は県・広域の機関"),
    )
    agency = models.CharField(_("所属機関"), max_length=200)
    attendees = models.PositiveIntegerField(_("参加人数"))

    class Meta:
        verbose_name = _("参加者数")
        verbose_name_plural = _("参加者数")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(attendees__gte=1), name="attendance_positive"),
            models.UniqueConstraint(
                fields=["event", "municipality", "agency"],
                name="attendance_unique_per_agency",
            ),
            # NULLs are distinct in a unique index: the prefecture-wide rows need their own.
            models.UniqueConstraint(
                fields=["event", "agency"],
                condition=Q(municipality__isnull=True),
                name="attendance_unique_wide_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.attendees}"


class PublicityAction(PrefectureRecord):
    """情報発信: a leaflet run, posters, an article, a web page."""

    class Kind(models.TextChoices):
        LEAFLET = "leaflet", _("リーフレット")
        POSTER = "poster", _("ポスター")
        ARTICLE = "article", _("広報誌・新聞記事")
        WEB = "web", _("ウェブ・SNS")
        OTHER = "other", _("その他")

    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("名称"), max_length=200)
    done_on = models.DateField(_("実施日"))
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("市町村"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空欄は県全域"),
    )
    where = models.CharField(_("配布・掲載先"), max_length=300)
    quantity = models.PositiveIntegerField(_("部数・枚数"), null=True, blank=True)

    class Meta:
        verbose_name = _("広報")
        verbose_name_plural = _("広報")
        ordering = ["-done_on", "-id"]
        indexes = [
            # The programme figures: publicity actions per scope and year.
            models.Index(fields=["prefecture_code", "done_on"], name="publicity_pref_done_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programme:publicity_list")


class PlaceSupport(models.Model):
    """A period in which the prefecture supports or subsidises a place (ibasho, work site).

    Replaces the old yes/no flag on the resource: a place counts as prefecture-supported in a
    year when one of its periods overlaps that year.
    """

    class Kind(models.TextChoices):
        SUPPORT = "support", _("運営支援")
        SUBSIDY = "subsidy", _("補助金")
        COMMISSION = "commission", _("委託")

    resource = models.ForeignKey(
        Resource,
        verbose_name=_("社会資源"),
        on_delete=models.PROTECT,
        related_name="prefecture_support",
    )
    kind = models.CharField(
        _("支援の形"), max_length=20, choices=Kind.choices, default=Kind.SUPPORT
    )
    starts_on = models.DateField(_("支援開始日"))
    ends_on = models.DateField(_("支援終了日"), null=True, blank=True, help_text=_("空欄は継続中"))
    incentive = models.BooleanField(
        _("インセンティブ付きの就労訓練"),
        default=False,
        help_text=_("訓練に参加した本人への奨励金（インセンティブ）がある場合"),
    )
    incentive_note = models.CharField(_("インセンティブの内容"), max_length=200, blank=True)
    note = models.CharField(_("備考"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("県の支援期間")
        verbose_name_plural = _("県の支援期間")
        ordering = ["resource", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="placesupport_dates_in_order",
            ),
        ]
        indexes = [
            # The supported places of a year (periods overlapping it).
            models.Index(fields=["starts_on", "ends_on"], name="placesupport_period_idx"),
        ]

    def __str__(self) -> str:
        end = self.ends_on.isoformat() if self.ends_on else "…"
        return f"{self.resource} {self.starts_on.isoformat()}–{end}"
