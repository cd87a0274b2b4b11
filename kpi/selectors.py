"""The KPI report: one function, used by the dashboard, the `kpi_report` command and exports.

Counting rules (docs/counting-rules.md), for a fiscal year up to a date (`as_of`):

- K1 新規相談件数: cases whose intake date falls in the year; one per case (件).
- K2 ケース会議を実施した市町村数: distinct municipalities with at least one case meeting held
  in the year, out of all municipalities in the scope (市町村). A meeting dated after `as_of`
  is a planned meeting, not a held one, and does not count.
- K3 居場所等の支援につながった件数: referrals to a resource whose kind counts as ibasho, by
  the date the person actually started using it (connected_on); one per referral (件).
  Referrals never connected count nowhere.
- K4 中間的就労等を経て就労した人数: distinct persons with an employment outcome started in
  the year after intermediate employment or work training (人). A person with two outcomes
  counts once.

Scope is the municipality of the case (K1, K3, K4) or of the meeting (K2). Municipality
figures add up to the jurisdiction and the prefecture for K1 and K3. K2 is a count of
municipalities. K4 adds up too unless one person has outcomes on cases in two municipalities
(they moved): each municipality counts them, the wider scope counts them once.

The national scope (`kpi.scopes`, token `all`) counts every record without a filter, with the
same rules: K2 out of every municipality in the database, K4 distinct persons nationally (a
person with outcomes in two prefectures counts once). Its table is by prefecture instead of by
municipality (`Report.areas`). No target or baseline is stored for it (they are keyed by
prefecture), so it has no target and no status.

The counted figures (K1–K4 by month and by area, the past years, the meetings, 延べ件数 and
実人数) are read from the maintained aggregates (`kpi.aggregates`: daily counters per area,
kept exact in the transaction of every write), two queries whatever the size of the scope.
`kpi_report(..., recount=True)` counts the same from the records (grouped and conditional
aggregates; `_Counted.count`): the reference that closing a year stores and that the tests
and `kpi_aggregates --check` compare with. The number of queries does not depend on the
number of records.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast

from django.db.models import (
    Count,
    Exists,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from django_stubs_ext import WithAnnotations

from cases.models import Case, CaseStatusChange, Consultation
from casework.selectors import casework_figures
from core.baked import totals
from core.fiscal import (
    current_fiscal_year,
    era_label,
    fiscal_year_label,
    fiscal_year_range,
    months_of,
    short_label,
)
from core.fiscal import fiscal_year as fiscal_year_of
from core.models import Municipality
from core.prefectures import PREFECTURES, prefecture_name
from kpi import aggregates
from kpi.closing import ClosingState, changes_since, closings_for, differences, figures_of
from kpi.models import Baseline, Figure, Indicator, SurveyCount, Target, YearClosing
from kpi.scopes import Scope, scoped_baked
from platforms.models import CaseMeeting, MunicipalStatus, Platform, established_as_of
from programme.selectors import CountedElsewhere, ProgrammeFigures, programme_figures
from referrals.history import ConfigHistory
from referrals.models import EmploymentOutcome, Referral, Resource

# Units are part of the JSON report: plain Japanese strings, translated only for display.
UNITS: dict[str, str] = {
    Indicator.NEW_CONSULTATIONS: gettext_noop("件"),
    Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS: gettext_noop("市町村"),
    Indicator.IBASHO_LINKS: gettext_noop("件"),
    Indicator.EMPLOYED_AFTER_INTERMEDIATE: gettext_noop("人"),
}
# Shown as `{% translate ind.unit context "unit" %}`: as a unit "市町村" reads "municipalities",
# unlike the column heading "市町村". Listed here so that makemessages extracts them.
UNIT_MESSAGES = (
    pgettext_lazy("unit", "件"),
    pgettext_lazy("unit", "市町村"),
    pgettext_lazy("unit", "人"),
)

COMPARISON_YEARS = 3


class Status:
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"

    LABELS: dict[str, Promise] = {
        ACHIEVED: _("達成"),
        ON_TRACK: _("順調"),
        AT_RISK: _("要注意"),
    }


STATUS_RULE = _(
    "達成: 実績が目標以上。順調: 年度末の見込みが目標以上。要注意: それ以外。"
    "見込みは、年度初めから基準日までのペースが年度末まで続くと仮定した値です"
    "（実績 ÷ 経過日数 × 年度の日数、小数点以下切り捨て。市町村数は対象の市町村数が上限）。"
)


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date  # the first day of the month
    added: int | None  # counted in this month; None for months after the report date
    cumulative: int | None


@dataclass(frozen=True)
class BaselineValue:
    fiscal_year: int
    value: int
    period: str

    @property
    def label(self) -> str:
        """`R3.4〜12月` as stored; a bare `R3` reads better as `令和3年度`."""
        if self.period and self.period != short_label(self.fiscal_year):
            return self.period
        return era_label(self.fiscal_year)


@dataclass
class IndicatorResult:
    key: str
    label: str
    unit: str
    value: int
    target: int | None
    total: int | None  # K2 only: municipalities in the scope
    projected: int | None
    status: str | None
    monthly: list[MonthPoint]
    baseline: BaselineValue | None = None
    target_from_year: int | None = None  # the fiscal year of the stored target row
    # A closed year (年度確定): `value` is the reported figure, `recounted` today's count.
    closed: bool = False
    reported: int | None = None
    recounted: int | None = None
    no_data: bool = False  # a year before the system's records: unknown, not zero
    fiscal_year: int = 0  # the report's year (a baseline entered for a year without data)

    @property
    def recount_difference(self) -> int | None:
        if not self.closed or self.recounted is None or self.reported is None:
            return None
        return self.recounted - self.reported

    @property
    def target_carried_from(self) -> str | None:
        """`令和5年度` when this year's target is an earlier year's row carried forward."""
        return era_label(self.target_from_year) if self.target_from_year else None

    @property
    def share(self) -> float | None:
        """Percent of the target achieved (not capped: 120% means over the target)."""
        if not self.target:
            return None
        return self.value * 100 / self.target

    @property
    def share_percent(self) -> int | None:
        share = self.share
        return None if share is None else math.floor(share)

    @property
    def progress(self) -> int:
        """The share for a progress bar: 0–100."""
        return min(100, self.share_percent or 0)

    @property
    def status_label(self) -> str:
        return str(Status.LABELS[self.status]) if self.status else ""

    def as_json(self) -> dict[str, Any]:
        value = None if self.no_data else self.value
        data: dict[str, Any] = {"key": self.key, "label": self.label, "value": value}
        if self.total is not None:
            data["total"] = self.total
        data.update(
            {
                "target": self.target,
                "unit": self.unit,
                "share_percent": None if self.no_data else self.share_percent,
                "projected": None if self.no_data else self.projected,
                "status": None if self.no_data else self.status,
                "no_data": self.no_data,
                "closed": self.closed,
                "reported": self.reported,
                "recounted": None
                if self.no_data
                else (self.recounted if self.closed else self.value),
            }
        )
        if self.no_data and self.baseline and self.baseline.fiscal_year == self.fiscal_year:
            data["baseline"] = {"value": self.baseline.value, "period": self.baseline.period}
        return data


class AreaKind:
    MUNICIPALITY = "municipality"
    PREFECTURE = "prefecture"


@dataclass(frozen=True)
class AreaRow:
    """One row of the report's table by area: a municipality of the scope, or for the
    national scope a prefecture (1,741 municipality rows would be no table to read).

    The columns are the same for both kinds: a municipality is an area of one municipality
    (`municipalities` 1, `municipalities_with_meetings` and `platforms` 0 or 1)."""

    kind: str  # AreaKind
    code: str  # municipality code (392014) or prefecture code (39)
    name: str
    jurisdiction: str  # a municipality's jurisdiction; empty for a prefecture
    new_consultations: int
    meetings: int  # case meetings held
    first_meeting: dt.date | None
    ibasho_links: int
    employed: int  # distinct persons within the area
    municipalities: int = 1
    municipalities_with_meetings: int = 0
    platforms: int = 0  # municipalities with an established platform
    platform_preparing: bool = False  # a municipality's platform is 準備中 (not yet 設置済)

    @property
    def meeting_held(self) -> bool:
        return self.meetings > 0

    @property
    def platform_established(self) -> bool:
        return self.platforms > 0

    @property
    def every_municipality_met(self) -> bool:
        return self.municipalities_with_meetings >= self.municipalities


@dataclass(frozen=True)
class YearCell:
    key: str
    value: int | None  # None: no data for the year (unknown, not zero)
    target: int | None
    recounted: int | None = None  # a closed year's recount, when it differs
    baseline: BaselineValue | None = None  # entered for a year without data

    @property
    def difference(self) -> int | None:
        if self.recounted is None or self.value is None:
            return None
        return self.recounted - self.value


@dataclass(frozen=True)
class YearValues:
    fiscal_year: int
    label: str
    values: dict[str, int]
    targets: dict[str, int | None]
    as_of: dt.date
    complete: bool  # the whole year (False for the report's year before its end)
    known: bool = True  # False: before the system's records (「データなし」)
    closed: bool = False  # 年度確定: `values` are the reported figures
    recounted: dict[str, int] = field(default_factory=dict)
    baselines: dict[str, BaselineValue] = field(default_factory=dict)  # entered for the year

    def rows(self) -> list[YearCell]:
        return [
            YearCell(
                key=key,
                value=self.values[key] if self.known else None,
                target=self.targets.get(key),
                recounted=(
                    self.recounted[key]
                    if self.closed and self.recounted.get(key, self.values[key]) != self.values[key]
                    else None
                ),
                baseline=None if self.known else self.baselines.get(key),
            )
            for key in Indicator.values
        ]


@dataclass(frozen=True)
class MethodCount:
    method: str
    label: str
    contacts: int  # 延べ件数
    persons: int  # 実人数


@dataclass
class ConsultationFigures:
    contacts: int = 0
    persons: int = 0
    new_contacts: int = 0
    new_persons: int = 0
    ongoing_contacts: int = 0
    ongoing_persons: int = 0
    by_method: list[MethodCount] = field(default_factory=list)


@dataclass
class SecondaryFigures:
    municipalities: int
    platforms: int
    needs_assessed: int
    jusoteki: int
    survey_persons: int | None
    survey_municipalities: int
    survey_latest: dt.date | None
    ibasho_active: int
    ibasho_prefecture_supported: int
    work_training_active: int
    meetings: int
    supervised_meetings: int
    supervised_municipalities: int
    consultations: ConsultationFigures
    baselines: dict[str, BaselineValue]
    # The casework cycle (casework.selectors.casework_figures): counts only.
    casework: dict[str, int] = field(default_factory=dict)
    # Why cases ended (終結) or stopped (中断) in the period, by category (EndingCount).
    endings: list["EndingCount"] = field(default_factory=list)


@dataclass(frozen=True)
class EndingCount:
    reason: str
    label: str
    closed: int
    suspended: int


def _count_endings(scope: Scope, start: dt.date, end: dt.date) -> dict[tuple[str, str], int]:
    """Every close and suspension dated in the period, {(end reason, to status): n}, counted
    from the records (one query). A case closed twice counts twice; voided cases count
    nowhere."""
    rows = (
        CaseStatusChange.objects.filter(
            scope.q("case__municipality"),
            changed_on__range=(start, end),
            to_status__in=Case.CLOSED_STATUSES,
            case__voided_at__isnull=True,
        )
        .order_by()
        .values("end_reason", "to_status")
        .annotate(n=Count("pk"))
    )
    return {(r["end_reason"], r["to_status"]): r["n"] for r in rows}


def _endings(counts: dict[tuple[str, str], int]) -> list[EndingCount]:
    """The rows by end-reason category. Uncategorised ones (from before the categories, or
    imported) show as 「未分類」."""
    choices = [*Case.EndReason.choices, ("", _("未分類"))]
    return [
        EndingCount(
            reason=value,
            label=str(label),
            closed=counts.get((value, Case.Status.CLOSED), 0),
            suspended=counts.get((value, Case.Status.SUSPENDED), 0),
        )
        for value, label in choices
        if value or counts.get(("", Case.Status.CLOSED)) or counts.get(("", Case.Status.SUSPENDED))
    ]


@dataclass
class Report:
    fiscal_year: int
    scope: Scope
    as_of: dt.date
    start: dt.date
    end: dt.date  # the last day counted: the year's end or `as_of`, whichever is earlier
    indicators: list[IndicatorResult]
    areas: list[AreaRow]  # by municipality; by prefecture for the national scope
    comparison: list[YearValues]
    secondary: SecondaryFigures
    programme: ProgrammeFigures | None = None  # programme.selectors.programme_figures
    first_year: int = 0  # the first fiscal year with records (earlier ones: no data)
    closing: ClosingState | None = None  # 年度確定 of a full-year report

    @property
    def no_data(self) -> bool:
        return self.fiscal_year < self.first_year

    @property
    def closed(self) -> bool:
        return self.closing is not None

    @property
    def area_kind(self) -> str:
        return AreaKind.PREFECTURE if self.scope.is_national else AreaKind.MUNICIPALITY

    @property
    def municipalities(self) -> list[AreaRow]:
        """The by-municipality rows (none for the national scope: see `areas`)."""
        return self.areas if self.area_kind == AreaKind.MUNICIPALITY else []

    @property
    def label(self) -> str:
        return era_label(self.fiscal_year)

    @property
    def long_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def days_in_year(self) -> int:
        start, end = fiscal_year_range(self.fiscal_year)
        return (end - start).days + 1

    @property
    def elapsed_days(self) -> int:
        return max(0, (self.end - self.start).days + 1)

    @property
    def complete(self) -> bool:
        return self.end >= fiscal_year_range(self.fiscal_year)[1]

    def indicator(self, key: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.key == key)

    @property
    def by_key(self) -> dict[str, IndicatorResult]:
        return {i.key: i for i in self.indicators}

    def as_json(self) -> dict[str, Any]:
        """The shape printed by `kpi_report --json` (the issue's contract)."""
        data: dict[str, Any] = {
            "fiscal_year": self.fiscal_year,
            "label": self.label,
            "scope": self.scope.as_json(),
            "as_of": self.as_of.isoformat(),
            "no_data": self.no_data,
            "closed": self.closed,
            "indicators": [i.as_json() for i in self.indicators],
            **({"programme": self.programme.as_json()} if self.programme else {}),
        }
        if self.closing is not None:
            data["closing"] = {
                "closed_at": self.closing.closed_at.isoformat(),
                "closed_by": self.closing.closed_by,
                "differences": [
                    {"label": d.label, "reported": d.reported, "recounted": d.recounted}
                    for d in self.closing.differences
                ],
                "changes": [
                    {
                        "record": c.reference,
                        "object_type": c.object_type,
                        "id": c.pk,
                        "date": c.date.isoformat(),
                        "change": c.kind,
                        "at": c.at.isoformat(),
                        "by": c.by,
                    }
                    for c in self.closing.changes
                ],
            }
        return data


# --- the counted querysets -------------------------------------------------------------------


def _new_cases(scope: Scope, start: dt.date, end: dt.date) -> QuerySet[Case]:
    # Voided (取消) cases count nowhere, here and below (cases/voiding.py).
    return Case.objects.filter(
        scope.q("municipality"), intake_date__range=(start, end), voided_at__isnull=True
    )


def _held_meetings(scope: Scope, start: dt.date, end: dt.date) -> QuerySet[CaseMeeting]:
    return CaseMeeting.objects.filter(scope.q("municipality"), held_on__range=(start, end))


def _ibasho_links(scope: Scope, start: dt.date, end: dt.date) -> QuerySet[Referral]:
    # Referral.municipality is the case's municipality (copied on save): no join to cases.
    # `counted_as_ibasho` is what the configuration said on the day of the connection
    # (referrals.history): a later change of a kind or of a resource's kind rewrites no year.
    return Referral.objects.filter(
        scope.q("municipality"),
        counted_as_ibasho=True,
        connected_on__range=(start, end),
        case__voided_at__isnull=True,
    )


def _employments(scope: Scope, start: dt.date, end: dt.date) -> QuerySet[EmploymentOutcome]:
    # EmploymentOutcome.municipality is the case's municipality (copied on save).
    return EmploymentOutcome.objects.filter(
        scope.q("municipality"),
        after_intermediate=True,
        started_on__range=(start, end),
        voided_at__isnull=True,
        case__voided_at__isnull=True,
    )


def _by_municipality_and_month(
    qs: QuerySet[Any], path: str, date_field: str
) -> dict[tuple[int, dt.date], int]:
    """One grouped query: {(municipality id, first day of month): rows}. Both the monthly
    series and the by-municipality table are sums of it (K1, K3)."""
    rows = (
        qs.annotate(kpi_month=TruncMonth(date_field))
        .order_by()
        .values(path, "kpi_month")
        # COUNT(*) rather than COUNT(id): the rows are counted from the index alone
        # (case_muni_intake_idx holds the municipality and the date; 30 ms -> 6 ms for a
        # large prefecture's year).
        .annotate(n=Count("*"))
        .values_list(path, "kpi_month", "n")
    )
    return {(municipality, _as_date(month)): n for municipality, month, n in rows}


def _per_month(counts: dict[tuple[int, dt.date], int]) -> dict[dt.date, int]:
    months: dict[dt.date, int] = {}
    for (_municipality, month), n in counts.items():
        months[month] = months.get(month, 0) + n
    return months


def _per_municipality(counts: dict[tuple[int, dt.date], int]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for (municipality, _month), n in counts.items():
        totals[municipality] = totals.get(municipality, 0) + n
    return totals


def _months_of_dates(dates: Any) -> dict[dt.date, int]:
    """{first day of month: how many of `dates` fall in it}."""
    months: dict[dt.date, int] = {}
    for day in dates:
        month = day.replace(day=1)
        months[month] = months.get(month, 0) + 1
    return months


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _first_employment_months(scope: Scope, start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """K4 by month: each person counts in the month of their first counted employment of the
    period in the scope, so the months add up to the year's distinct count. One grouped query
    (person → first date), counted by month here: a few persons per municipality a year. (An
    anti-join "no earlier outcome of the same person" made PostgreSQL walk the whole case
    table for a large prefecture.)"""
    return _months_of_dates(
        _employments(scope, start, end)
        .order_by()
        .values("person")
        .annotate(first=Min("started_on"))
        .values_list("first", flat=True)
    )


def _series(fiscal_year: int, added: dict[dt.date, int], end: dt.date) -> list[MonthPoint]:
    points = []
    running = 0
    for year, month in months_of(fiscal_year):
        first = dt.date(year, month, 1)
        if first > end:
            points.append(MonthPoint(first, None, None))
            continue
        n = added.get(first, 0)
        running += n
        points.append(MonthPoint(first, n, running))
    return points


# --- targets and baselines -------------------------------------------------------------------


def _targets(scope: Scope, fiscal_year: int) -> list[Target]:
    """Stored target rows that may apply to the scope up to the year, newest first (1 query).

    The scope's own rows, plus the prefecture's K2 row: "every municipality" holds in any
    part of the prefecture.
    """
    return _TARGETS(scope, fiscal_year)


# Baked per kind of scope (kpi.scopes.ScopedBaked): the dashboard reads them on every view.
_TARGETS = scoped_baked(
    lambda scope, fiscal_year: (
        Target.objects.filter(prefecture_code=scope.prefecture_code, fiscal_year__lte=fiscal_year)
        .filter(
            Q(jurisdiction_id=scope.jurisdiction_id, municipality_id=scope.municipality_id)
            | Q(
                jurisdiction__isnull=True,
                municipality__isnull=True,
                indicator=Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS,
            )
        )
        .order_by("-fiscal_year")
    )
)
_BASELINES = scoped_baked(
    lambda scope, fiscal_year: (
        Baseline.objects.for_scope(
            prefecture_code=scope.prefecture_code,
            jurisdiction_id=scope.jurisdiction_id,
            municipality_id=scope.municipality_id,
        )
        .filter(fiscal_year__lte=fiscal_year)
        .order_by("-fiscal_year")
        .values_list("indicator", "fiscal_year", "value", "period")
    )
)


def resolve_target(
    rows: list[Target], scope: Scope, indicator: str, fiscal_year: int, total: int
) -> tuple[int | None, int | None]:
    """(target, year of the row it came from) for one indicator and year.

    A target holds until changed: the year's own row, else the latest earlier year's row. An
    empty K2 target means every municipality in the scope (`total`). Another scope's numbers
    never apply: a prefecture target of 200 consultations is not a municipality's target.
    """
    own = [
        r
        for r in rows
        if r.indicator == indicator
        and r.fiscal_year <= fiscal_year
        and r.jurisdiction_id == scope.jurisdiction_id
        and r.municipality_id == scope.municipality_id
    ]
    if own:
        row = own[0]
        return (total if row.value is None else row.value), row.fiscal_year
    if indicator == Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS and scope.kind != "prefecture":
        wide = [
            r
            for r in rows
            if r.indicator == indicator
            and r.fiscal_year <= fiscal_year
            and r.jurisdiction_id is None
            and r.municipality_id is None
        ]
        if wide and wide[0].value is None:
            return total, wide[0].fiscal_year
    return None, None


def _baselines(
    scope: Scope, fiscal_year: int
) -> tuple[dict[str, BaselineValue], dict[tuple[int, str], BaselineValue]]:
    """The latest baseline of each indicator and figure up to the year, for this scope only,
    and every such row by (year, key): what a year without data shows instead (1 query)."""
    rows = _BASELINES(scope, fiscal_year)
    latest: dict[str, BaselineValue] = {}
    by_year: dict[tuple[int, str], BaselineValue] = {}
    for key, year, value, period in rows:
        baseline = BaselineValue(year, value, period)
        latest.setdefault(key, baseline)
        by_year[(year, key)] = baseline
    return latest, by_year


def first_fiscal_year(scope: Scope, *, recount: bool = False) -> int:
    """The first fiscal year the system holds cases for (1 query).

    Years before it are unknown, not zero: the dashboard, the workbook and the JSON show
    「データなし」 (or the baseline entered for the year). The start is the installation's
    (the prefecture's, or the nation's), not the scope's: a village with no case in a year
    the system was in use has zero cases. With no case at all, the current year is the
    first. Voided cases count nowhere, here neither. Read from the first month of K1 in the
    maintained counters (one index entry; the minimum over the cases read a million of them
    nationally), or `recount` from the cases."""
    if recount:
        cases = Case.objects.filter(voided_at__isnull=True)
        if not scope.is_national:
            cases = cases.filter(municipality__prefecture_code=scope.prefecture_code)
        first = cases.aggregate(first=Min("intake_date"))["first"]
    else:
        area = aggregates.NATIONAL if scope.is_national else f"p{scope.prefecture_code}"
        first = aggregates.first_day(area, aggregates.F.K1)
    return fiscal_year_of(first) if first else current_fiscal_year()


# --- projection and status -------------------------------------------------------------------


def project(
    value: int, *, elapsed_days: int, days_in_year: int, cap: int | None = None
) -> int | None:
    """The year-end value if the pace so far goes on (linear in elapsed days)."""
    if elapsed_days <= 0:
        return None
    if elapsed_days >= days_in_year:
        projected = value
    else:
        projected = math.floor(value * days_in_year / elapsed_days)
    return min(projected, cap) if cap is not None else projected


def status_of(value: int, target: int | None, projected: int | None) -> str | None:
    if target is None:
        return None
    if value >= target:
        return Status.ACHIEVED
    if projected is None:
        return None
    if projected >= target:
        return Status.ON_TRACK
    return Status.AT_RISK


# --- the rest of the page --------------------------------------------------------------------


@dataclass(frozen=True)
class _Counted:
    """The year's counts of the scope: by month (the series), by area (the table: a
    municipality's id, or for the national scope a prefecture's code), the meetings and the
    consultations of the secondary figures, and the past years' full-year values.

    Read from the maintained aggregates (`from_aggregates`, two queries whatever the size
    of the scope) or counted from the records (`count`, the reference)."""

    monthly: dict[str, dict[dt.date, int]]  # indicator → {first day of month: added}
    cases: dict[Any, int]  # K1 by area
    meetings: dict[Any, dict[str, Any]]  # {area: {"n", "first", "met"}} (met: municipalities)
    links: dict[Any, int]  # K3 by area
    employed: dict[Any, int]  # K4 by area: distinct persons within the area
    meeting_figures: dict[str, int]  # meetings, supervised, supervised_municipalities
    consultations: ConsultationFigures
    past: dict[int, dict[str, int]]  # {fiscal year: {indicator: full-year value}}
    endings: dict[tuple[str, str], int]  # {(end reason, to status): closes or suspensions}
    # The programme figures the counters hold (None: programme_figures counts them).
    programme: CountedElsewhere | None = None

    @classmethod
    def count(cls, scope: Scope, start: dt.date, end: dt.date, past_years: list[int]) -> "_Counted":
        """Counted from the records (the recount)."""
        employed_by = "municipality__prefecture_code" if scope.is_national else "municipality"
        new_cases = _by_municipality_and_month(
            _new_cases(scope, start, end), "municipality", "intake_date"
        )
        meetings = _by_municipality(
            _held_meetings(scope, start, end), "municipality", n=Count("pk"), first=Min("held_on")
        )
        links = _by_municipality_and_month(
            _ibasho_links(scope, start, end), "municipality", "connected_on"
        )
        employed = _by_municipality(
            _employments(scope, start, end), employed_by, n=Count("person", distinct=True)
        )
        supervised = ~Q(supervision=CaseMeeting.Supervision.NONE)
        meeting_figures = _held_meetings(scope, start, end).aggregate(
            meetings=Count("pk"),
            supervised=Count("pk", filter=supervised),
            supervised_municipalities=Count("municipality", distinct=True, filter=supervised),
        )
        by_area: dict[int, Any] = {}
        if scope.is_national:  # the table is by prefecture: add the municipalities up
            by_area = dict(Municipality.objects.order_by().values_list("pk", "prefecture_code"))
        area_meetings: dict[Any, dict[str, Any]] = {}
        for municipality, row in meetings.items():
            key = by_area.get(municipality, municipality)
            into = area_meetings.setdefault(key, {"n": 0, "first": row["first"], "met": 0})
            into["n"] += row["n"]
            into["met"] += 1
            into["first"] = min(into["first"], row["first"])
        return cls(
            monthly={
                Indicator.NEW_CONSULTATIONS: _per_month(new_cases),
                Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS: _months_of_dates(
                    m["first"] for m in meetings.values()
                ),
                Indicator.IBASHO_LINKS: _per_month(links),
                Indicator.EMPLOYED_AFTER_INTERMEDIATE: _first_employment_months(scope, start, end),
            },
            cases=_sum_by(_per_municipality(new_cases), by_area),
            meetings=area_meetings,
            links=_sum_by(_per_municipality(links), by_area),
            employed={key: row["n"] for key, row in employed.items()},
            meeting_figures=meeting_figures,
            consultations=consultation_figures(scope, start, end, recount=True),
            past=_year_values(scope, past_years),
            endings=_count_endings(scope, start, end),
        )

    @classmethod
    def from_aggregates(
        cls, scope: Scope, start: dt.date, end: dt.date, past_years: list[int]
    ) -> "_Counted":
        """Read from the maintained aggregates (`kpi.aggregates`): the scope's own daily
        counters by month (the series, the secondary figures, the past years), and the
        areas' counters of the year (the table)."""
        F = aggregates.F
        indicators: dict[str, str] = {
            Indicator.NEW_CONSULTATIONS: F.K1,
            Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS: F.K2,
            Indicator.IBASHO_LINKS: F.K3,
            Indicator.EMPLOYED_AFTER_INTERMEDIATE: F.K4,
        }
        spans: list[tuple[dt.date, dt.date, list[str] | None]] = [(start, end, None)]
        if past_years:
            first = fiscal_year_range(min(past_years))[0]
            last = fiscal_year_range(max(past_years))[1]
            spans.append((first, last, list(indicators.values())))
        months = aggregates.monthly(aggregates.scope_area(scope), spans)

        def in_year(figure: str) -> dict[dt.date, int]:
            return {m: n for m, n in months.get(figure, {}).items() if start <= m <= end}

        def total(figure: str) -> int:
            return sum(in_year(figure).values())

        past = {
            y: {
                key: sum(
                    n
                    for m, n in months.get(figure, {}).items()
                    if fiscal_year_range(y)[0] <= m <= fiscal_year_range(y)[1]
                )
                for key, figure in indicators.items()
            }
            for y in past_years
        }
        if scope.is_national:  # the table by prefecture: the prefectures' own counters
            keys: dict[str, Any] = {f"p{code}": code for code in PREFECTURES}
        else:
            keys = {f"m{pk}": pk for pk in scope.municipality_ids}
        supervised = [] if scope.is_national else [F.SUPERVISED]  # the programme's table
        table = aggregates.by_area(
            list(keys), [F.K1, F.K2, F.K3, F.K4, F.MEETINGS, *supervised], start, end, first=F.K2
        )
        meetings = {}
        for area, row in table.items():
            if F.MEETINGS in row:
                # K2: each municipality's first meeting of the year, the area's first of them.
                met, first_day = row.get(F.K2, (0, None))
                meetings[keys[area]] = {"n": row[F.MEETINGS][0], "first": first_day, "met": met}

        def column(figure: str) -> dict[Any, int]:
            return {keys[a]: row[figure][0] for a, row in table.items() if figure in row}

        return cls(
            monthly={key: in_year(figure) for key, figure in indicators.items()},
            cases=column(F.K1),
            meetings=meetings,
            links=column(F.K3),
            employed=column(F.K4),
            meeting_figures={
                "meetings": total(F.MEETINGS),
                "supervised": total(F.SUPERVISED),
                "supervised_municipalities": total(F.SUPERVISED_MUNICIPALITIES),
            },
            consultations=_consultations_from(
                {figure: in_year(figure) for figure in _CONSULTATION_FIGURES}
            ),
            past=past,
            endings={
                (reason, status): n
                for reason in ["", *Case.EndReason.values]
                for status in Case.CLOSED_STATUSES
                if (n := total(F.ending(reason, status)))
            },
            programme=CountedElsewhere(
                new_cases_by_route={route: total(F.route(route)) for route in Case.Route.values},
                # By municipality: the programme's table (none for the national scope).
                supported_meetings={} if scope.is_national else column(F.SUPERVISED),
                supported_municipalities=total(F.SUPERVISED_MUNICIPALITIES),
            ),
        )


def _sum_by(counts: dict[int, int], key_of: dict[int, Any]) -> dict[Any, int]:
    totals: dict[Any, int] = {}
    for municipality, n in counts.items():
        key = key_of.get(municipality, municipality)
        totals[key] = totals.get(key, 0) + n
    return totals


def _by_municipality(qs: QuerySet[Any], path: str, **aggregates: Any) -> dict[Any, dict[str, Any]]:
    """One grouped query: {municipality id: {name: value}} for the municipalities with rows
    (grouped by `path`: a prefecture code's path gives {prefecture code: …})."""
    rows = qs.order_by().values(path).annotate(**aggregates)
    return {row[path]: row for row in rows}


def _area_rows(scope: Scope, as_of: dt.date, counted: _Counted) -> list[AreaRow]:
    if scope.is_national:
        return _prefecture_rows(as_of, counted)
    return _municipality_rows(scope, as_of, counted)


def _prefecture_rows(as_of: dt.date, counted: _Counted) -> list[AreaRow]:
    """The national scope's table: one row per prefecture with municipalities, in JIS order.

    Two small grouped queries (the municipalities per prefecture, established platforms per
    prefecture); the counts are the year's by prefecture (`_Counted`: K4 and K2 are distinct
    within the prefecture, not sums)."""
    municipalities = dict(
        Municipality.objects.order_by()
        .values("prefecture_code")
        .annotate(n=Count("pk"))
        .values_list("prefecture_code", "n")
    )
    platforms = dict(
        Platform.objects.filter(established_as_of(as_of))
        .order_by()
        .values("municipality__prefecture_code")
        .annotate(n=Count("pk"))
        .values_list("municipality__prefecture_code", "n")
    )
    return [
        AreaRow(
            kind=AreaKind.PREFECTURE,
            code=code,
            name=prefecture_name(code),
            jurisdiction="",
            new_consultations=counted.cases.get(code, 0),
            meetings=counted.meetings.get(code, {}).get("n", 0),
            first_meeting=counted.meetings.get(code, {}).get("first"),
            ibasho_links=counted.links.get(code, 0),
            employed=counted.employed.get(code, 0),
            municipalities=n,
            municipalities_with_meetings=counted.meetings.get(code, {}).get("met", 0),
            platforms=platforms.get(code, 0),
        )
        for code, n in sorted(municipalities.items())
    ]


class _PlatformFlags(TypedDict):
    """What `_municipality_rows` annotates (MunicipalityQuerySet's type does not carry it)."""

    kpi_platform: bool
    kpi_platform_preparing: bool


_MUNICIPALITIES_WITH_PLATFORMS = scoped_baked(
    lambda scope, as_of: (
        Municipality.objects.filter(scope.q())
        .select_related("jurisdiction")
        .annotate(
            kpi_platform=Exists(
                Platform.objects.filter(established_as_of(as_of), municipality=OuterRef("pk"))
            ),
            kpi_platform_preparing=Exists(
                Platform.objects.filter(
                    municipality=OuterRef("pk"), status=Platform.Status.PREPARING
                )
            ),
        )
    )
)


def _municipality_rows(scope: Scope, as_of: dt.date, counted: _Counted) -> list[AreaRow]:
    """Every municipality in the scope with its counts, those without a meeting first (they
    are where the prefecture must help). One query for the municipalities; the counts are
    the year's by municipality (`_Counted`)."""
    municipalities = _MUNICIPALITIES_WITH_PLATFORMS(scope, as_of)
    rows = [
        AreaRow(
            kind=AreaKind.MUNICIPALITY,
            code=m.code,
            name=m.name,
            jurisdiction=m.jurisdiction.name,
            new_consultations=counted.cases.get(m.pk, 0),
            meetings=counted.meetings.get(m.pk, {}).get("n", 0),
            first_meeting=counted.meetings.get(m.pk, {}).get("first"),
            ibasho_links=counted.links.get(m.pk, 0),
            employed=counted.employed.get(m.pk, 0),
            municipalities=1,
            municipalities_with_meetings=1 if m.pk in counted.meetings else 0,
            platforms=1 if m.kpi_platform else 0,
            platform_preparing=bool(m.kpi_platform_preparing) and not m.kpi_platform,
        )
        for m in cast("list[WithAnnotations[Municipality, _PlatformFlags]]", list(municipalities))
    ]
    return sorted(rows, key=lambda row: (row.meeting_held, row.code))


def _year_values(scope: Scope, years: list[int]) -> dict[int, dict[str, int]]:
    """Full-year values of past years: one conditional aggregate per indicator (4 queries)."""
    if not years:
        return {}
    first, last = fiscal_year_range(min(years))[0], fiscal_year_range(max(years))[1]

    def per_year(qs: QuerySet[Any], date_field: str, target: str, distinct: bool) -> dict[str, int]:
        return qs.aggregate(
            **{
                f"y{y}": Count(
                    target,
                    distinct=distinct,
                    filter=Q(**{f"{date_field}__range": fiscal_year_range(y)}),
                )
                for y in years
            }
        )

    counted: dict[str, dict[str, int]] = {
        Indicator.NEW_CONSULTATIONS: per_year(
            # Counting the (never null) date rather than the id lets PostgreSQL read the
            # rows from the (municipality, intake_date) index alone.
            _new_cases(scope, first, last),
            "intake_date",
            "intake_date",
            False,
        ),
        Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS: per_year(
            _held_meetings(scope, first, last), "held_on", "municipality", True
        ),
        Indicator.IBASHO_LINKS: per_year(
            _ibasho_links(scope, first, last), "connected_on", "connected_on", False
        ),
        Indicator.EMPLOYED_AFTER_INTERMEDIATE: per_year(
            _employments(scope, first, last), "started_on", "person", True
        ),
    }
    return {y: {key: counted[key][f"y{y}"] for key in Indicator.values} for y in years}


def _count_consultations(scope: Scope, start: dt.date, end: dt.date) -> dict[str, Any]:
    """延べ件数 and 実人数, new (case opened this year) and ongoing, by method (2 queries),
    counted from the records: plain numbers keyed by method code."""
    contacts = Consultation.objects.filter(
        scope.q("case__municipality"),
        date__range=(start, end),
        voided_at__isnull=True,
        case__voided_at__isnull=True,
    )
    new = Q(case__intake_date__gte=start)
    totals = contacts.aggregate(
        contacts=Count("pk"),
        persons=Count("case__person", distinct=True),
        new_contacts=Count("pk", filter=new),
        new_persons=Count("case__person", distinct=True, filter=new),
        ongoing_contacts=Count("pk", filter=~new),
        ongoing_persons=Count("case__person", distinct=True, filter=~new),
    )
    by_method = (
        contacts.order_by()
        .values("method")
        .annotate(contacts=Count("pk"), persons=Count("case__person", distinct=True))
    )
    return {
        "totals": totals,
        "by_method": {row["method"]: [row["contacts"], row["persons"]] for row in by_method},
    }


def consultation_figures(
    scope: Scope, start: dt.date, end: dt.date, *, recount: bool = False
) -> ConsultationFigures:
    """The year's consultation counts for the scope: from the maintained aggregates
    (`kpi.aggregates`, one query over the scope's daily counters), or counted from the
    records (`recount=True`, and any period not starting on 1 April)."""
    if recount or start != fiscal_year_range(fiscal_year_of(start))[0]:
        return _consultation_result(_count_consultations(scope, start, end))
    months = aggregates.monthly(aggregates.scope_area(scope), [(start, end, _CONSULTATION_FIGURES)])
    return _consultations_from(months)


_CONSULTATION_FIGURES = [
    aggregates.F.PERSONS,
    aggregates.F.NEW_PERSONS,
    aggregates.F.ONGOING_PERSONS,
    *(aggregates.F.persons_by(m) for m in Consultation.Method.values),
    *(aggregates.F.contacts(m, new) for m in Consultation.Method.values for new in (True, False)),
]


def _consultations_from(months: dict[str, dict[dt.date, int]]) -> ConsultationFigures:
    def total(figure: str) -> int:
        return sum(months.get(figure, {}).values())

    methods = Consultation.Method.values
    new = {m: total(aggregates.F.contacts(m, True)) for m in methods}
    ongoing = {m: total(aggregates.F.contacts(m, False)) for m in methods}
    return _consultation_result(
        {
            "totals": {
                "contacts": sum(new.values()) + sum(ongoing.values()),
                "persons": total(aggregates.F.PERSONS),
                "new_contacts": sum(new.values()),
                "new_persons": total(aggregates.F.NEW_PERSONS),
                "ongoing_contacts": sum(ongoing.values()),
                "ongoing_persons": total(aggregates.F.ONGOING_PERSONS),
            },
            "by_method": {
                m: [new[m] + ongoing[m], total(aggregates.F.persons_by(m))] for m in methods
            },
        }
    )


def _consultation_result(data: dict[str, Any]) -> ConsultationFigures:
    by_method = data["by_method"]
    return ConsultationFigures(
        **data["totals"],
        by_method=[
            MethodCount(
                method=value,
                label=str(label),
                contacts=by_method.get(value, [0, 0])[0],
                persons=by_method.get(value, [0, 0])[1],
            )
            for value, label in Consultation.Method.choices
        ],
    )


def _secondary(
    scope: Scope,
    fiscal_year: int,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    total: int,
    counted: "_Counted",
) -> SecondaryFigures:
    statuses = _STATUSES.one(scope, fiscal_year, as_of)
    platforms = _PLATFORMS.one(scope, as_of)["n"]
    survey = _LATEST_SURVEY.one(scope, as_of)
    resources = places_as_of(scope, as_of)
    meetings = counted.meeting_figures
    return SecondaryFigures(
        municipalities=total,
        platforms=platforms,
        needs_assessed=statuses["needs"],
        jusoteki=statuses["jusoteki"],
        survey_persons=survey["persons"],
        survey_municipalities=survey["municipalities"],
        survey_latest=survey["latest"],
        ibasho_active=resources["ibasho"],
        ibasho_prefecture_supported=0,  # from the programme's support periods (kpi_report)
        work_training_active=resources["work"],
        meetings=meetings["meetings"],
        supervised_meetings=meetings["supervised"],
        supervised_municipalities=meetings["supervised_municipalities"],
        consultations=counted.consultations,
        baselines={},
        endings=_endings(counted.endings),
        casework=casework_figures(scope, start, end),
    )


# The secondary figures' queries, baked per kind of scope (kpi.scopes.ScopedBaked).
_STATUSES = scoped_baked(
    lambda scope, fiscal_year, as_of: totals(
        MunicipalStatus.objects.filter(scope.q("municipality"), fiscal_year=fiscal_year),
        needs=Count("pk", filter=Q(needs_assessed_on__lte=as_of)),
        jusoteki=Count("pk", filter=Q(jusoteki=True)),
    )
)
_PLATFORMS = scoped_baked(
    lambda scope, as_of: totals(
        Platform.objects.filter(scope.q("municipality"), established_as_of(as_of)), n=Count("*")
    )
)
_LATEST_SURVEY = scoped_baked(  # each municipality's latest survey on or before the day
    lambda scope, as_of: totals(
        SurveyCount.objects.filter(
            scope.q("municipality"),
            survey_date=Subquery(
                SurveyCount.objects.filter(
                    municipality=OuterRef("municipality"), survey_date__lte=as_of
                )
                .order_by("-survey_date")
                .values("survey_date")[:1]
            ),
        ),
        persons=Sum("persons"),
        municipalities=Count("municipality", distinct=True),
        latest=Max("survey_date"),
    )
)
# Prefecture-wide resources (no municipality) serve every scope of their prefecture.
_RESOURCES = scoped_baked(
    lambda scope: Resource.objects.filter(scope.q_or_prefecture_wide()).values_list(
        "pk", "kind_id", "opened_on", "closed_on", "active"
    )
)


def places_as_of(scope: "Scope", as_of: dt.date) -> dict[str, int]:
    """Ibasho and work-training sites that existed on `as_of`, counted by what their kind was
    and counted as that day (4 queries: the resources of the scope and the configuration
    history, a few hundred rows at most).

    A resource exists from `opened_on` (unknown: since always) until the day before
    `closed_on`. One made inactive without a closing date is not counted in any year: give it
    its 廃止日 and the years it was open count it again.
    """
    history = ConfigHistory.load()
    counts = {"ibasho": 0, "ibasho_supported": 0, "work": 0}
    rows = _RESOURCES(scope)
    for pk, kind_id, opened_on, closed_on, active in rows:
        if opened_on is not None and opened_on > as_of:
            continue
        if closed_on is not None and closed_on <= as_of:
            continue
        if closed_on is None and not active:
            continue
        flags = history.flags(pk, kind_id, as_of)
        counts["ibasho"] += flags.counts_as_ibasho
        # "ibasho_supported": the prefecture's support periods (programme), set by kpi_report.
        counts["work"] += flags.is_work_training
    return counts


# --- the report ------------------------------------------------------------------------------


@dataclass
class _Core:
    """What the report and the summary share: the counts, the table and the indicators."""

    as_of: dt.date
    start: dt.date
    counted: "_Counted"
    areas: list[AreaRow]
    total: int  # K2's denominator: the municipalities of the scope
    targets: list[Target]
    baselines: dict[str, BaselineValue]
    baselines_by_year: dict[tuple[int, str], BaselineValue]
    first_year: int
    indicators: list[IndicatorResult]


def _core(
    fiscal_year: int,
    scope: Scope,
    as_of: dt.date | None,
    past_years: list[int],
    *,
    recount: bool,
) -> _Core:
    fy_start, fy_end = fiscal_year_range(fiscal_year)
    # Nothing after today has happened yet: a meeting dated next week is planned, not held.
    today = timezone.localdate()
    as_of = min(as_of or today, today, fy_end)
    start, end = fy_start, as_of

    counted = (_Counted.count if recount else _Counted.from_aggregates)(
        scope, start, end, past_years
    )
    areas = _area_rows(scope, as_of, counted)
    total = sum(area.municipalities for area in areas)  # K2's denominator
    monthly = counted.monthly
    target_rows = _targets(scope, fiscal_year)
    baselines, baselines_by_year = _baselines(scope, fiscal_year)
    first_year = first_fiscal_year(scope, recount=recount)

    days_in_year = (fy_end - fy_start).days + 1
    elapsed = max(0, (end - start).days + 1)
    indicators = []
    for key, label in Indicator.choices:
        series = _series(fiscal_year, monthly[key], end)
        value = sum(monthly[key].values())
        is_k2 = key == Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS
        target, target_year = resolve_target(target_rows, scope, key, fiscal_year, total)
        projected = project(
            value, elapsed_days=elapsed, days_in_year=days_in_year, cap=total if is_k2 else None
        )
        indicators.append(
            IndicatorResult(
                key=key,
                label=str(label),
                unit=UNITS[key],
                value=value,
                target=target,
                total=total if is_k2 else None,
                projected=projected,
                status=status_of(value, target, projected),
                monthly=series,
                baseline=baselines.get(key),
                target_from_year=target_year,
                no_data=fiscal_year < first_year,
                fiscal_year=fiscal_year,
            )
        )
    return _Core(
        as_of=as_of,
        start=start,
        counted=counted,
        areas=areas,
        total=total,
        targets=target_rows,
        baselines=baselines,
        baselines_by_year=baselines_by_year,
        first_year=first_year,
        indicators=indicators,
    )


@dataclass(frozen=True)
class Summary:
    """The four indicators and the table of a year so far (the home page's panel)."""

    fiscal_year: int
    scope: Scope
    as_of: dt.date
    indicators: list[IndicatorResult]
    areas: list[AreaRow]

    @property
    def label(self) -> str:
        return era_label(self.fiscal_year)

    @property
    def municipalities(self) -> list[AreaRow]:
        return [] if self.scope.is_national else self.areas


def kpi_summary(fiscal_year: int, scope: Scope) -> Summary:
    """`kpi_report`'s indicators and table up to today, without the past years, the
    secondary figures and the programme (7 queries instead of some 30). Today is inside the
    year, so no closing applies."""
    core = _core(fiscal_year, scope, None, [], recount=False)
    return Summary(fiscal_year, scope, core.as_of, core.indicators, core.areas)


def kpi_report(
    fiscal_year: int,
    scope: Scope,
    as_of: dt.date | None = None,
    *,
    apply_closing: bool = True,
    recount: bool = False,
) -> Report:
    """The four indicators and everything the dashboard shows, up to `as_of` (default: today).

    Only what happened on or before `as_of` counts; a date after the year's end counts the
    whole year, a date after today counts up to today. Past years in the comparison are
    always full years. Everything counted comes from the maintained aggregates
    (`kpi.aggregates`); `recount=True` counts the records instead (the reference: what
    closing a year stores, and what `kpi_aggregates --check` and the tests compare with).

    A closed year (年度確定) reported as a whole year shows the figures as reported, with
    today's recount and the records behind any difference (`Report.closing`, `kpi.closing`);
    `apply_closing=False` gives the plain recount (what closing a year stores). A report up
    to a date inside the year always counts as of that date.
    """
    fy_end = fiscal_year_range(fiscal_year)[1]
    past_years = list(range(fiscal_year - COMPARISON_YEARS, fiscal_year))
    core = _core(fiscal_year, scope, as_of, past_years, recount=recount)
    as_of = end = core.as_of
    start, counted, areas, total = core.start, core.counted, core.areas, core.total
    indicators, target_rows, first_year = core.indicators, core.targets, core.first_year
    baselines, baselines_by_year = core.baselines, core.baselines_by_year

    past_values = counted.past
    closings = closings_for(scope, [*past_years, fiscal_year]) if apply_closing else {}
    comparison = []
    for y in past_years:
        closed = closings.get(y)
        reported = (
            {key: closed.figures["indicators"][key]["value"] for key in Indicator.values}
            if closed
            else past_values[y]
        )
        comparison.append(
            YearValues(
                fiscal_year=y,
                label=fiscal_year_label(y),
                values=reported,
                targets={
                    key: resolve_target(target_rows, scope, key, y, total)[0]
                    for key in Indicator.values
                },
                as_of=fiscal_year_range(y)[1],
                complete=True,
                known=y >= first_year,
                closed=closed is not None,
                recounted=past_values[y],
                baselines={
                    key: baselines_by_year[(y, key)]
                    for key in Indicator.values
                    if (y, key) in baselines_by_year
                },
            )
        )

    secondary = _secondary(scope, fiscal_year, start, end, as_of, total, counted)
    secondary.baselines = {k: v for k, v in baselines.items() if k in Figure.values}
    programme = programme_figures(scope, start, end, counted.programme)
    # Places the prefecture supported in the year: support periods overlapping it.
    secondary.ibasho_prefecture_supported = programme.supported_ibasho
    report = Report(
        fiscal_year=fiscal_year,
        scope=scope,
        as_of=as_of,
        start=start,
        end=end,
        indicators=indicators,
        areas=areas,
        comparison=comparison,
        secondary=secondary,
        programme=programme,
        first_year=first_year,
    )
    closing = closings.get(fiscal_year) if as_of >= fy_end else None
    if closing is not None:
        _apply_closing(report, closing)
    report.comparison.append(
        YearValues(
            fiscal_year=fiscal_year,
            label=fiscal_year_label(fiscal_year),
            values={i.key: i.value for i in indicators},
            targets={i.key: i.target for i in indicators},
            as_of=as_of,
            complete=as_of >= fy_end,
            known=not report.no_data,
            closed=closing is not None,
            recounted={i.key: i.recounted for i in indicators if i.recounted is not None},
            baselines={
                key: baselines_by_year[(fiscal_year, key)]
                for key in Indicator.values
                if (fiscal_year, key) in baselines_by_year
            },
        )
    )
    return report


def _apply_closing(report: Report, closing: YearClosing) -> None:
    """Show the year as reported; keep today's recount next to it, and why they differ."""
    recount = figures_of(report)
    stored = closing.figures
    for ind in report.indicators:
        row = stored["indicators"].get(ind.key, {})
        ind.closed = True
        ind.recounted = ind.value
        ind.reported = ind.value = row.get("value", ind.value)
        if row.get("total") is not None:
            ind.total = row["total"]
        ind.projected = ind.value  # a whole year: the year-end value is the value
        ind.status = status_of(ind.value, ind.target, ind.projected)
    secondary = report.secondary
    for name, value in stored["secondary"].items():
        if name in ("contacts", "persons"):
            setattr(secondary.consultations, name, value)
        elif hasattr(secondary, name):
            setattr(secondary, name, value)
    rows = [
        AreaRow(
            **{
                **row,
                "first_meeting": (
                    dt.date.fromisoformat(row["first_meeting"]) if row["first_meeting"] else None
                ),
            }
        )
        for row in stored["areas"]
    ]
    if report.area_kind == AreaKind.MUNICIPALITY:
        rows.sort(key=lambda row: (row.meeting_held, row.code))
    report.areas = rows
    found = differences(stored, recount)
    report.closing = ClosingState(
        closing=closing,
        differences=found,
        changes=changes_since(closing, report.scope, report.start, report.end) if found else [],
    )
