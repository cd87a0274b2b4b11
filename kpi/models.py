"""Targets, baselines and survey counts: the KPI's data, edited by admins.

The indicators themselves are computed from the records (see `kpi.selectors`); only what the
plan decides (targets), what was measured before this system existed (baselines) and what the
fact-finding survey found (survey counts) is stored here.

A target, a baseline and a survey count each have a scope: a prefecture (by its JIS code), or
one jurisdiction, or one municipality of it. Prefecture scope is the default.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fiscal import era_label
from core.models import Jurisdiction, Municipality
from core.prefectures import prefecture_name


class Indicator(models.TextChoices):
    """The four R5 targets, in the plan's order. The keys are part of the JSON report."""

    NEW_CONSULTATIONS = "new_consultations", _("新規相談件数")
    MUNICIPALITIES_WITH_CASE_MEETINGS = (
        "municipalities_with_case_meetings",
        _("ケース会議を実施した市町村数"),
    )
    IBASHO_LINKS = "ibasho_links", _("居場所等の支援につながった件数")
    EMPLOYED_AFTER_INTERMEDIATE = (
        "employed_after_intermediate",
        _("中間的就労等を経て就労した人数"),
    )


class Figure(models.TextChoices):
    """Secondary figures the plan tracks next to the four targets (baselines only)."""

    SURVEY_PERSONS = "survey_persons", _("実態把握調査で把握した人数")
    NEEDS_ASSESSED = "needs_assessed", _("実態・ニーズ把握を実施した市町村数")
    PLATFORMS = "platforms", _("プラットフォームを設置した市町村数")
    SUPERVISED_MEETINGS = (
        "supervised_meetings",
        _("センター・福祉保健所が支援したケース会議を実施した市町村数"),
    )
    PREFECTURE_IBASHO = "prefecture_ibasho", _("県が支援する居場所の数")
    WORK_SUPPORT_SITES = "work_support_sites", _("就労支援の場の数")


class ScopedRowQuerySet(models.QuerySet[Any]):
    """The rows of a `ScopedRow` model (targets, baselines, survey counts) by the area they
    are stored for. Not `accounts.access.ScopedQuerySet`: that one narrows personal data to
    who may see it; this one picks the figures of a prefecture, jurisdiction or municipality."""

    def for_scope(
        self, *, prefecture_code: str, jurisdiction_id: int | None, municipality_id: int | None
    ) -> "ScopedRowQuerySet":
        """Rows stored for exactly this scope (not for a wider or narrower one)."""
        return self.filter(
            prefecture_code=prefecture_code,
            jurisdiction_id=jurisdiction_id,
            municipality_id=municipality_id,
        )


class ScopedRow(models.Model):
    """A row that applies to a prefecture, or to one jurisdiction or municipality in it."""

    prefecture_code = models.CharField(_("都道府県コード"), max_length=2)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("管轄"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("管轄単位の値のときだけ選びます。空欄は都道府県全体。"),
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("市町村"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("市町村単位の値のときだけ選びます。空欄は都道府県全体。"),
    )

    objects = ScopedRowQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def scope_label(self) -> str:
        if self.municipality_id:
            return str(self.municipality)
        if self.jurisdiction_id:
            return str(self.jurisdiction)
        return prefecture_name(self.prefecture_code)


def _scope_constraints(prefix: str, key: str) -> list[models.BaseConstraint]:
    """One row per year, key and scope. Three partial constraints because NULLs never clash."""
    return [
        models.CheckConstraint(
            condition=Q(jurisdiction__isnull=True) | Q(municipality__isnull=True),
            name=f"{prefix}_one_scope",
        ),
        models.UniqueConstraint(
            fields=["fiscal_year", key, "prefecture_code"],
            condition=Q(jurisdiction__isnull=True, municipality__isnull=True),
            name=f"{prefix}_unique_prefecture",
        ),
        models.UniqueConstraint(
            fields=["fiscal_year", key, "jurisdiction"],
            condition=Q(jurisdiction__isnull=False),
            name=f"{prefix}_unique_jurisdiction",
        ),
        models.UniqueConstraint(
            fields=["fiscal_year", key, "municipality"],
            condition=Q(municipality__isnull=False),
            name=f"{prefix}_unique_municipality",
        ),
    ]


class Target(ScopedRow):
    """目標値: the target for one indicator, fiscal year and scope.

    A target holds until changed: the target of a year is this year's row if there is one,
    else the latest earlier year's row. For ケース会議を実施した市町村数 an empty value means
    "every municipality in the scope" (34 for Kochi, 1 for one municipality), so the target
    follows when a municipality merges or a scope is narrowed.
    """

    fiscal_year = models.PositiveSmallIntegerField(
        _("年度"), help_text=_("西暦の年度（令和5年度は2023）。以後の年度も変更されるまで有効。")
    )
    indicator = models.CharField(_("指標"), max_length=40, choices=Indicator.choices)
    value = models.PositiveIntegerField(
        _("目標値"),
        null=True,
        blank=True,
        help_text=_("ケース会議を実施した市町村数だけ、空欄で「対象のすべての市町村」を表します。"),
    )
    note = models.CharField(_("備考"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("目標値")
        verbose_name_plural = _("目標値")
        ordering = ["prefecture_code", "-fiscal_year", "indicator"]
        constraints = [
            *_scope_constraints("kpi_target", "indicator"),
            models.CheckConstraint(
                condition=Q(value__isnull=False)
                | Q(indicator=Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS),
                name="kpi_target_value_required",
            ),
        ]
        indexes = [
            # The dashboard's target lookup: rows of one scope up to a fiscal year.
            models.Index(
                fields=["prefecture_code", "indicator", "fiscal_year"],
                name="kpi_target_lookup_idx",
            ),
        ]

    def __str__(self) -> str:
        value = self.value if self.value is not None else _("すべての市町村")
        label = self.get_indicator_display()
        return f"{era_label(self.fiscal_year)} {self.scope_label} {label}: {value}"


class Baseline(ScopedRow):
    """基準値: a figure measured before or outside this system (R1, R3…), kept for comparison."""

    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    indicator = models.CharField(
        _("指標"), max_length=40, choices=[*Indicator.choices, *Figure.choices]
    )
    value = models.PositiveIntegerField(_("値"))
    period = models.CharField(
        _("対象期間・時点"), max_length=50, blank=True, help_text=_("例: R3.4〜12月、R3.10時点")
    )
    source = models.CharField(_("出典"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("基準値")
        verbose_name_plural = _("基準値")
        ordering = ["prefecture_code", "fiscal_year", "indicator"]
        constraints = _scope_constraints("kpi_baseline", "indicator")

    def __str__(self) -> str:
        label = self.get_indicator_display()
        return f"{era_label(self.fiscal_year)} {self.scope_label} {label}: {self.value}"


class SurveyCount(models.Model):
    """実態把握調査: persons identified in one municipality by the survey of a given date.

    Entered by admins from the survey's results; no personal data, one number per
    municipality and survey. The dashboard shows each municipality's latest survey.
    """

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("市町村"), on_delete=models.PROTECT, related_name="+"
    )
    survey_date = models.DateField(_("調査基準日"))
    persons = models.PositiveIntegerField(_("把握した人数"))
    note = models.CharField(_("備考"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("実態把握調査の人数")
        verbose_name_plural = _("実態把握調査の人数")
        ordering = ["-survey_date", "municipality__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "survey_date"], name="kpi_survey_unique_date"
            ),
        ]
        indexes = [
            # Latest survey per municipality up to the report date.
            models.Index(fields=["municipality", "-survey_date"], name="kpi_survey_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.survey_date:%Y-%m-%d}: {self.persons}"


class YearClosing(ScopedRow):
    """年度確定: a fiscal year's figures for a scope as they were reported, with who and when.

    Closed by the centre or an admin after the year ends (`kpi.services.year_close`): the four
    indicators, the secondary figures and the by-municipality table are stored as counted
    then (`figures`, see `kpi.closing.figures_of`). The dashboard, the workbook and
    `kpi_report` show these for the year and, next to them, what a recount gives today and
    why it differs (`kpi.closing`). Reopening (`year_reopen`, admins) keeps the row, with
    who, when and why; the year may then be closed again (a new row).
    """

    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    figures = models.JSONField(_("確定した値"))
    closed_at = models.DateTimeField(_("確定日時"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("確定した人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the row says who closed the year even after the account is deleted.
    closed_by_name = models.CharField(_("確定した人（表示名）"), max_length=150)
    reopened_at = models.DateTimeField(_("確定の取消日時"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("確定を取り消した人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reopen_reason = models.CharField(_("確定を取り消した理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("年度確定")
        verbose_name_plural = _("年度確定")
        ordering = ["prefecture_code", "-fiscal_year", "-closed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(jurisdiction__isnull=True) | Q(municipality__isnull=True),
                name="kpi_closing_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True) | ~Q(reopen_reason=""),
                name="kpi_closing_reopen_has_reason",
            ),
            # One closing in force per year and scope (reopened ones are kept as history).
            models.UniqueConstraint(
                fields=["fiscal_year", "prefecture_code"],
                condition=Q(
                    jurisdiction__isnull=True, municipality__isnull=True, reopened_at__isnull=True
                ),
                name="kpi_closing_unique_prefecture",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "jurisdiction"],
                condition=Q(jurisdiction__isnull=False, reopened_at__isnull=True),
                name="kpi_closing_unique_jurisdiction",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "municipality"],
                condition=Q(municipality__isnull=False, reopened_at__isnull=True),
                name="kpi_closing_unique_municipality",
            ),
        ]

    def __str__(self) -> str:
        return f"{era_label(self.fiscal_year)} {self.scope_label}"

    @property
    def in_force(self) -> bool:
        return self.reopened_at is None


class Tally(models.Model):
    """One counter of the maintained aggregates (`kpi.aggregates`): how many of `figure` an
    area has on a day. Written only by `kpi.aggregates`, in the transaction of the records it
    counts; read by the dashboard instead of counting the records."""

    # "all" (the nation), "p39" (a prefecture), "j12" (a jurisdiction), "m345" (a municipality)
    area = models.CharField(max_length=16)
    figure = models.CharField(max_length=16)  # kpi.aggregates.F: "k1", "p:visit", …
    day = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The upsert's conflict target, and the index of every read: one area (or the
            # areas of a table), some figures, a range of days.
            models.UniqueConstraint(fields=["area", "figure", "day"], name="kpi_tally_key"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.figure} {self.day}: {self.n}"


class TallyBuilt(models.Model):
    """What the counters have been counted from the records for (`kpi.aggregates`): a part
    ("part:consultations"…) or the month sums ("months"), written by the rebuild that counted
    it, in its transaction. `kpi_aggregates --rebuild-if-empty` counts what has no row here,
    so a write served by new code before that backfill ran (its delta alone) cannot make a
    part or the months look counted."""

    name = models.CharField(max_length=32, unique=True)

    def __str__(self) -> str:
        return self.name
