"""Reads for platforms, municipal status and case meetings.

Who sees what comes from `accounts.scope`: meetings (and their minutes) follow personal
scope; the municipality overview follows aggregate scope and shows counts only.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django_stubs_ext import WithAnnotations

from accounts import access, scope
from accounts.models import User
from cases.models import Case
from cases.timeline import TimelineEntry
from core.baked import baked
from core.fiscal import current_fiscal_year, fiscal_year, fiscal_year_label, fiscal_year_range
from core.models import Jurisdiction, Municipality
from platforms.models import Agency, CaseMeeting, FollowUpAction, MunicipalStatus, Platform

# The first fiscal year offered in year selectors: R1, the baseline year of the KPI.
FIRST_FISCAL_YEAR = 2019
# Follow-up actions "due soon" on the home page: within this many days.
DUE_SOON_DAYS = 7
HOME_ACTIONS_LIMIT = 20


def can_edit_municipal_status(user: User) -> bool:
    """The centre and admins: prefecture-wide roles that also hold personal scope."""
    return scope.sees_prefecture(user) and scope.can_see_personal_data(user)


def fiscal_year_choices(today: dt.date | None = None) -> list[tuple[int, str]]:
    """From the current fiscal year back to R1, newest first."""
    return [
        (fy, fiscal_year_label(fy))
        for fy in range(current_fiscal_year(today), FIRST_FISCAL_YEAR - 1, -1)
    ]


# --- Case meetings ---------------------------------------------------------------------------


def get_meeting_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> CaseMeeting:
    """The meeting if the user has personal scope of its municipality; otherwise 404 (audited)."""
    return access.get_for_user(
        CaseMeeting.objects.select_related("municipality", "created_by"),
        user,
        pk,
        request=request,
    )


def get_action_for_user(
    user: User, pk: int, *, request: HttpRequest | None = None
) -> FollowUpAction:
    return access.get_for_user(
        FollowUpAction.objects.select_related("meeting").defer("meeting__minutes"),
        user,
        pk,
        request=request,
    )


def _count_subquery(queryset: QuerySet[Any], group_by: str) -> Coalesce:
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def meeting_list_queryset(user: User) -> QuerySet[CaseMeeting]:
    """Meetings in the user's personal scope with their counts; never loads the minutes."""
    cases = CaseMeeting.cases.through.objects.filter(casemeeting_id=OuterRef("pk"))
    open_actions = FollowUpAction.objects.filter(meeting_id=OuterRef("pk"), done_on__isnull=True)
    return (
        CaseMeeting.objects.in_scope(user)
        .select_related("municipality")
        .defer("minutes", "decisions")
        .annotate(
            case_count=_count_subquery(cases, "casemeeting_id"),
            open_action_count=_count_subquery(open_actions, "meeting_id"),
        )
    )


def meeting_page_data(meeting: CaseMeeting) -> dict[str, Any]:
    """What the meeting page lists besides the meeting itself: one query each."""
    return {
        "cases": list(meeting.cases.select_related("municipality").order_by("number")),
        "agencies": list(meeting.agencies.order_by("kind", "name")),
        "actions": list(meeting.actions.select_related("owner").order_by("done_on", "due_on")),
    }


def case_choices(
    user: User, municipality: Municipality, *, include_ids: Any = ()
) -> QuerySet[Case]:
    """Open cases of one municipality within the user's scope, by case number.

    `include_ids` keeps cases already on a meeting selectable after they were closed.
    """
    return (
        Case.objects.in_scope(user)
        .filter(municipality=municipality)
        .filter(
            (~Q(status__in=Case.CLOSED_STATUSES) & Q(voided_at__isnull=True))
            | Q(pk__in=list(include_ids))
        )
        .order_by("number")
    )


def agency_choices(municipality: Municipality, *, include_ids: Any = ()) -> QuerySet[Agency]:
    """Active agencies of the municipality and prefecture-wide ones (plus those already chosen)."""
    return (
        Agency.objects.filter(prefecture_code=municipality.prefecture_code)
        .filter(Q(municipality=municipality) | Q(municipality__isnull=True))
        .filter(Q(active=True) | Q(pk__in=list(include_ids)))
        # The municipality's own agencies first, then the prefecture-wide ones.
        .order_by(F("municipality").asc(nulls_last=True), "kind", "name")
    )


def action_owner_choices(municipality: Municipality) -> QuerySet[User]:
    """People who could own a follow-up: whoever may be assigned in the municipality
    (`accounts.access.assignable_users`). The service re-checks with `accounts.scope`."""
    return access.assignable_users(municipality).order_by("role", "display_name", "username")


# --- Case timeline and home page ---------------------------------------------------------------


_meetings_about = baked(
    lambda case_id: (
        CaseMeeting.objects.filter(cases=case_id).defer("minutes").order_by("-held_on", "-id")
    )
)


def meeting_timeline_entries(case: Case) -> list[TimelineEntry]:
    """Meetings that discussed the case, with their decisions. Minutes stay on the meeting page."""
    meetings = _meetings_about(case.pk)
    return [
        TimelineEntry(
            date=meeting.held_on,
            kind="meeting",
            template="platforms/_meeting_entry.html",
            obj=meeting,
            order=(meeting.created_at, meeting.pk),
        )
        for meeting in meetings
    ]


class _DueFlags(TypedDict):
    """What `home_open_actions` sets on each action for the template."""

    overdue: bool
    due_soon: bool


# What the home panel shows of an action (platforms/_home_actions.html).
ACTION_COLUMNS = (
    "description",
    "due_on",
    "meeting__held_on",
    "meeting__municipality__name_ja",
    "meeting__municipality__name_en",
)


_open_actions = baked(  # core.baked: compiled once
    lambda ids, user_id: (
        FollowUpAction.objects.in_municipalities(ids)
        .filter(owner=user_id, done_on__isnull=True)
        .select_related("meeting__municipality")
        # What the panel shows (platforms/_home_actions.html): not the meeting's minutes.
        .only(*ACTION_COLUMNS)
        .order_by(F("due_on").asc(nulls_last=True), "id")[: HOME_ACTIONS_LIMIT + 1]
    )
)


def home_open_actions(request: HttpRequest) -> dict[str, Any] | None:
    """The user's open follow-up actions, overdue first. Hidden when there are none."""
    user = request.user
    if not scope.can_see_personal_data(user):
        return None
    today = timezone.localdate()
    actions = cast(
        "list[WithAnnotations[FollowUpAction, _DueFlags]]",
        _open_actions(scope.personal_municipality_ids(user), user.pk),
    )
    if not actions:
        return None
    for action in actions:
        action.overdue = action.due_on is not None and action.due_on < today
        action.due_soon = (
            action.due_on is not None
            and today <= action.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS)
        )
    return {
        "template": "platforms/_home_actions.html",
        "actions": actions[:HOME_ACTIONS_LIMIT],
        "more": len(actions) > HOME_ACTIONS_LIMIT,
        "overdue_count": sum(1 for a in actions if a.overdue),
    }


# --- Municipality overview ---------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewSummary:
    total: int
    with_meetings: int
    without_meetings: int
    with_supervised_meetings: int
    platforms: int
    needs_assessed: int
    jusoteki: int


SORTS = ("unmet", "code", "meetings", "last")


class OverviewFigures(TypedDict):
    """What `municipality_overview` adds to each municipality: the query's annotations and
    the flags worked out from them."""

    meeting_count: int
    supervised_count: int
    last_meeting_on: dt.date | None
    needs_assessed_on: dt.date | None
    jusoteki: bool | None
    platform_status: str | None
    platform_established_on: dt.date | None
    platform_dissolved_on: dt.date | None
    no_meeting: bool
    platform_established_in_fy: bool
    platform_established_later: bool


type OverviewRow = WithAnnotations[Municipality, OverviewFigures]


def municipality_overview(
    user: User,
    *,
    fy: int,
    jurisdiction: Jurisdiction | None = None,
    sort: str = "unmet",
) -> list[OverviewRow]:
    """One row per municipality in the user's aggregate scope, with counts for the fiscal year.

    One query whatever the number of meetings: every figure is a correlated subquery.
    """
    start, end = fiscal_year_range(fy)
    meetings = CaseMeeting.objects.filter(municipality=OuterRef("pk"), held_on__range=(start, end))
    supervised = meetings.exclude(supervision=CaseMeeting.Supervision.NONE)
    last = meetings.order_by().values("municipality").annotate(last=Max("held_on")).values("last")
    status = MunicipalStatus.objects.filter(municipality=OuterRef("pk"), fiscal_year=fy)
    rows = (
        scope.aggregate_municipalities(user)
        .select_related("jurisdiction")
        .annotate(
            meeting_count=_count_subquery(meetings, "municipality"),
            supervised_count=_count_subquery(supervised, "municipality"),
            last_meeting_on=Subquery(last),
            needs_assessed_on=Subquery(status.values("needs_assessed_on")[:1]),
            jusoteki=Subquery(status.values("jusoteki")[:1]),
            platform_status=F("platform__status"),
            platform_established_on=F("platform__established_on"),
            platform_dissolved_on=F("platform__dissolved_on"),
        )
        .order_by("code")
    )
    if jurisdiction is not None:
        rows = rows.filter(jurisdiction=jurisdiction)
    result = cast("list[OverviewRow]", list(rows))
    for row in result:
        row.no_meeting = row.meeting_count == 0
        # The platform as it stood at the end of the year (or today, for the current year).
        # (A dissolved platform counts in the years it was established: platforms.models.
        # established_as_of.)
        row.platform_established_in_fy = bool(
            row.platform_established_on
            and row.platform_established_on <= end
            and (
                row.platform_status == Platform.Status.ESTABLISHED
                if row.platform_dissolved_on is None
                else row.platform_dissolved_on > end
            )
        )
        row.platform_established_later = bool(
            row.platform_status == Platform.Status.ESTABLISHED
            and not row.platform_established_in_fy
        )
    if sort == "meetings":
        result.sort(key=lambda r: (-r.meeting_count, r.code))
    elif sort == "last":
        result.sort(key=lambda r: (r.last_meeting_on or dt.date.min, r.code))
    elif sort == "unmet":
        result.sort(key=lambda r: (not r.no_meeting, r.code))
    return result


def overview_summary(rows: list[OverviewRow]) -> OverviewSummary:
    return OverviewSummary(
        total=len(rows),
        with_meetings=sum(1 for r in rows if r.meeting_count),
        without_meetings=sum(1 for r in rows if not r.meeting_count),
        with_supervised_meetings=sum(1 for r in rows if r.supervised_count),
        platforms=sum(1 for r in rows if r.platform_established_in_fy),
        needs_assessed=sum(1 for r in rows if r.needs_assessed_on),
        jusoteki=sum(1 for r in rows if r.jusoteki),
    )


@dataclass(frozen=True)
class YearStatus:
    fiscal_year: int
    label: str
    status: MunicipalStatus | None
    meeting_count: int
    supervised_count: int
    last_meeting_on: dt.date | None


def municipality_years(
    municipality: Municipality, *, today: dt.date | None = None
) -> list[YearStatus]:
    """Status and meeting counts per fiscal year, newest first. Two queries; counts only."""
    statuses = {s.fiscal_year: s for s in MunicipalStatus.objects.filter(municipality=municipality)}
    counts: dict[int, list[Any]] = {}
    meetings = CaseMeeting.objects.filter(municipality=municipality).values_list(
        "held_on", "supervision"
    )
    for held_on, supervision in meetings:
        entry = counts.setdefault(fiscal_year(held_on), [0, 0, None])
        entry[0] += 1
        entry[1] += supervision != CaseMeeting.Supervision.NONE
        entry[2] = max(entry[2] or held_on, held_on)
    years = []
    for fy, label in fiscal_year_choices(today):
        count, supervised, last = counts.get(fy, [0, 0, None])
        years.append(YearStatus(fy, label, statuses.get(fy), count, supervised, last))
    return years


def get_platform(municipality: Municipality) -> Platform | None:
    return (
        Platform.objects.filter(municipality=municipality)
        .select_related("coordinator")
        .prefetch_related("members")
        .first()
    )
