"""Reads for the programme: scoped helpers for the personal records, the home panel, and the
programme figures of the KPI dashboard (counts only)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from accounts.access import ScopedQuerySet, get_for_user
from accounts.scope import can_see_personal_data, personal_municipalities, personal_municipality_ids
from accounts.types import User
from cases.models import Case
from core.baked import baked, totals
from core.home import panel_query, panel_total
from core.models import Jurisdiction, Municipality
from kpi.scopes import scoped_baked
from platforms.models import CaseMeeting
from programme.models import (
    OutreachAttempt,
    PlaceSupport,
    PublicityAction,
    SupervisionRequest,
    SurveyEntry,
    TrainingAttendance,
    TrainingEvent,
)
from referrals.models import Resource

if TYPE_CHECKING:
    from kpi.scopes import BakedScope, Scope

HOME_ROWS = 10


# --- Who may do what -----------------------------------------------------------------------


def supervising_jurisdiction_ids(user: User) -> list[int] | None:
    """The jurisdictions whose requests the user may accept and answer: None for every one
    of their prefecture (the centre, admins), the user's own 福祉保健所 areas otherwise."""
    if not can_see_personal_data(user):
        return []
    if user.role in (User.Role.CENTER, User.Role.ADMIN):
        return None
    return list(user.jurisdictions.values_list("pk", flat=True))


def can_supervise(user: User, municipality_id: int) -> bool:
    """The centre (prefecture-wide) or a 福祉保健所 counselor of the municipality's area."""
    ids = supervising_jurisdiction_ids(user)
    qs = personal_municipalities(user).filter(pk=municipality_id)
    if ids is None:
        return qs.exists()
    return bool(ids) and qs.filter(jurisdiction__in=ids).exists()


def programme_jurisdictions(user: User) -> QuerySet[Jurisdiction] | None:
    """Where the user may record training and publicity: None for nowhere; the centre and
    admins everywhere in their prefecture; a 福祉保健所 counselor in their own areas."""
    if not can_see_personal_data(user):
        return None
    if user.role in (User.Role.CENTER, User.Role.ADMIN):
        qs = Jurisdiction.objects.all()
        return qs.filter(prefecture_code=user.prefecture_code) if user.prefecture_code else qs
    own = Jurisdiction.objects.filter(pk__in=user.jurisdictions.values("pk"))
    return own if own.exists() else None


def can_record_programme(user: User) -> bool:
    return programme_jurisdictions(user) is not None


def user_prefecture_code(user: User) -> str:
    from django.conf import settings

    if user.prefecture_code:
        return str(user.prefecture_code)
    first = personal_municipalities(user).values_list("prefecture_code", flat=True).first()
    return first or settings.DEFAULT_PREFECTURE_CODE


# --- Register entries ----------------------------------------------------------------------


def entry_list_queryset(user: User) -> QuerySet[SurveyEntry]:
    reached = OutreachAttempt.objects.filter(
        entry=OuterRef("pk"), outcome__in=OutreachAttempt.REACHED
    )
    return (
        SurveyEntry.objects.in_scope(user)
        .select_related("municipality", "case")
        .annotate(attempt_count=Count("attempts"), reached=Exists(reached))
    )


def get_entry_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> SurveyEntry:
    """The entry if the user may see it; otherwise 404, audited as permission denied."""
    attempts = OutreachAttempt.objects.select_related("recorded_by")
    return get_for_user(
        SurveyEntry.objects.select_related("municipality", "case", "created_by").prefetch_related(
            Prefetch("attempts", queryset=attempts)
        ),
        user,
        pk,
        request=request,
    )


@dataclass(frozen=True)
class DueEntry:
    entry: SurveyEntry
    days_overdue: int


_outreach_due = baked(  # core.baked: compiled once
    lambda ids, today: panel_query(
        SurveyEntry.objects.in_municipalities(ids)
        .open()
        .filter(next_outreach_on__lte=today)
        .select_related("municipality")
        # What the panel shows (programme/_home_outreach_due.html).
        .only("reporter", "next_outreach_on", "municipality__name_ja", "municipality__name_en")
        .order_by("next_outreach_on", "id"),
        HOME_ROWS,
    )
)


def home_outreach_due(request: HttpRequest) -> dict[str, Any] | None:
    """Register entries in my scope whose next outreach is due today or earlier."""
    user = request.user
    if not can_see_personal_data(user) or user.role not in (User.Role.COUNSELOR, User.Role.CENTER):
        return None
    today = timezone.localdate()
    rows = _outreach_due(personal_municipality_ids(user), today)
    total = panel_total(rows)
    if not rows:
        return None
    return {
        "template": "programme/_home_outreach_due.html",
        "entries": [
            DueEntry(entry=e, days_overdue=(today - e.next_outreach_on).days)
            for e in rows
            if e.next_outreach_on is not None
        ],
        "total": total,
    }


# --- Supervision ---------------------------------------------------------------------------


def _supervisions() -> "ScopedQuerySet[SupervisionRequest]":
    return SupervisionRequest.objects.select_related(
        "municipality", "meeting", "case", "jurisdiction"
    )


def supervision_list_queryset(user: User) -> QuerySet[SupervisionRequest]:
    return _supervisions().in_scope(user)


def get_supervision_for_user(
    user: User, pk: int, *, request: HttpRequest | None = None
) -> SupervisionRequest:
    return get_for_user(_supervisions().select_related("requested_by"), user, pk, request=request)


def meeting_supervisions(meeting: CaseMeeting) -> list[SupervisionRequest]:
    """The supervision requests of a meeting, for its page (the meeting is already scoped)."""
    return list(meeting.supervision_requests.select_related("jurisdiction").order_by("id"))


# --- Training and publicity ----------------------------------------------------------------


def training_list_queryset(user: User) -> QuerySet[TrainingEvent]:
    # An aggregate drops Meta.ordering: the newest first, spelled out.
    qs = (
        TrainingEvent.objects.select_related("jurisdiction")
        .annotate(attendees=Sum("attendance__attendees"))
        .order_by("-held_on", "-id")
    )
    return qs.filter(prefecture_code=user.prefecture_code) if user.prefecture_code else qs


def publicity_list_queryset(user: User) -> QuerySet[PublicityAction]:
    qs = PublicityAction.objects.select_related("municipality")
    return qs.filter(prefecture_code=user.prefecture_code) if user.prefecture_code else qs


# --- The programme figures (dashboard, workbook, kpi_report --json) ------------------------


@dataclass(frozen=True)
class JurisdictionTraining:
    name: str
    events: int
    attendance: int


@dataclass(frozen=True)
class MunicipalityProgramme:
    code: str
    name: str
    identified: int
    reached: int
    to_case: int
    supervision_requests: int
    supervisions_given: int
    supported_meetings: int


@dataclass
class ProgrammeFigures:
    survey_identified: int
    survey_reached: int
    survey_to_case: int
    supervision_requests: int
    supervisions_given: int
    supported_meeting_municipalities: int
    training_events: int
    training_attendance: int
    publicity_actions: int
    new_cases_by_route: dict[str, int]
    supported_ibasho: int
    supported_work_sites: int
    incentive_work_sites: int
    training_by_jurisdiction: list[JurisdictionTraining] = field(default_factory=list)
    by_municipality: list[MunicipalityProgramme] = field(default_factory=list)

    @property
    def publicity_cases(self) -> int:
        return self.new_cases_by_route.get(Case.Route.PUBLICITY, 0)

    @property
    def route_rows(self) -> list[tuple[str, str, int]]:
        """(route, label, count) in the choices' order."""
        return [
            (v, str(label), self.new_cases_by_route.get(v, 0)) for v, label in Case.Route.choices
        ]

    @property
    def jurisdictions_without_training(self) -> list[str]:
        return [j.name for j in self.training_by_jurisdiction if j.events == 0]

    def as_json(self) -> dict[str, Any]:
        return {
            "survey_identified": self.survey_identified,
            "survey_reached": self.survey_reached,
            "survey_to_case": self.survey_to_case,
            "supervision_requests": self.supervision_requests,
            "supervisions_given": self.supervisions_given,
            "supported_meeting_municipalities": self.supported_meeting_municipalities,
            "training_events": self.training_events,
            "training_attendance": self.training_attendance,
            "publicity_actions": self.publicity_actions,
            "new_cases_by_route": dict(self.new_cases_by_route),
            "supported_ibasho": self.supported_ibasho,
            "supported_work_sites": self.supported_work_sites,
        }


def _events(scope: "BakedScope", start: dt.date, end: dt.date) -> QuerySet[TrainingEvent]:
    qs = TrainingEvent.objects.filter(held_on__range=(start, end))
    if scope.is_national:
        return qs
    qs = qs.filter(prefecture_code=scope.prefecture_code)
    if scope.has_jurisdiction:
        # A municipality's scope sees the events of its jurisdiction and the prefecture-wide.
        qs = qs.filter(Q(jurisdiction_id=scope.jurisdiction_pk) | Q(jurisdiction__isnull=True))
    return qs


def _attendance(scope: "BakedScope", start: dt.date, end: dt.date) -> QuerySet[Any]:
    rows = TrainingAttendance.objects.filter(event__in=_events(scope, start, end))
    if scope.has_jurisdiction:
        rows = rows.filter(scope.q("municipality"))
    return (
        rows.values("event__jurisdiction")
        .annotate(n=Sum("attendees"))
        .values_list("event__jurisdiction", "n")
    )


def _supported(scope: "BakedScope", start: dt.date, end: dt.date) -> QuerySet[Any]:
    periods = PlaceSupport.objects.filter(starts_on__lte=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=start)
    )
    places = Resource.objects.filter(
        scope.q_or_prefecture_wide(), Exists(periods.filter(resource=OuterRef("pk")))
    )
    incentive = periods.filter(incentive=True, resource=OuterRef("pk"))
    return totals(
        places,
        ibasho=Count("pk", filter=Q(kind__counts_as_ibasho=True)),
        work=Count("pk", filter=Q(kind__is_work_training=True)),
        incentive=Count("pk", filter=Q(Exists(incentive), kind__is_work_training=True)),
    )


def _register_counts(scope: "BakedScope", start: dt.date, end: dt.date) -> QuerySet[Any]:
    """The register's three counts per municipality in one pass over the scope's entries
    (each count its own condition; issue #22: three queries were three scans)."""
    reached_attempts = OutreachAttempt.objects.filter(
        entry=OuterRef("pk"), outcome__in=OutreachAttempt.REACHED, date__range=(start, end)
    )
    reported = Q(reported_on__range=(start, end))
    reached = Q(Exists(reached_attempts))
    opened = Q(case__intake_date__range=(start, end))
    return (
        SurveyEntry.objects.filter(scope.q("municipality"))
        .filter(reported | reached | opened)
        .values("municipality")
        .annotate(
            identified=Count("pk", filter=reported),
            reached=Count("pk", filter=reached),
            to_case=Count("pk", filter=opened),
        )
    )


def _supervision_counts(scope: "BakedScope", start: dt.date, end: dt.date) -> QuerySet[Any]:
    """The supervision requests made and given per municipality, in one pass."""
    asked = Q(requested_on__range=(start, end))
    gave = Q(status=SupervisionRequest.Status.GIVEN, given_on__range=(start, end))
    return (
        SupervisionRequest.objects.filter(scope.q("municipality"))
        .filter(asked | gave)
        .values("municipality")
        .annotate(requests=Count("pk", filter=asked), given=Count("pk", filter=gave))
    )


# programme_figures' queries, baked per kind of scope (kpi.scopes.ScopedBaked): the dashboard
# runs them all on every view (issue #22).
_REGISTER = scoped_baked(_register_counts)
_SUPERVISION = scoped_baked(_supervision_counts)
_EVENTS = scoped_baked(
    lambda scope, start, end: (
        _events(scope, start, end).values("jurisdiction").annotate(n=Count("pk", distinct=True))
    )
)
_ATTENDANCE = scoped_baked(_attendance)
_PUBLICITY = scoped_baked(
    lambda scope, start, end: totals(
        PublicityAction.objects.filter(scope.q_or_prefecture_wide(), done_on__range=(start, end)),
        n=Count("*"),
    )
)
_SUPPORTED = scoped_baked(_supported)
_MUNICIPALITIES = scoped_baked(
    lambda scope: Municipality.objects.filter(scope.q()).order_by("code")
)
_JURISDICTIONS = baked(
    lambda code: Jurisdiction.objects.filter(prefecture_code=code).order_by("sort_order", "pk")
)


@dataclass(frozen=True)
class CountedElsewhere:
    """Programme figures the KPI dashboard already has from its maintained counters
    (kpi.aggregates), so `programme_figures` does not count them from the records again."""

    new_cases_by_route: dict[str, int]
    supported_meetings: dict[int, int]  # municipality id → supported meetings held
    supported_municipalities: int


def programme_figures(
    scope: "Scope", start: dt.date, end: dt.date, counted: CountedElsewhere | None = None
) -> ProgrammeFigures:
    """Every programme count of a scope between two dates (both included). Counts only.

    - identified: register entries reported in the period;
    - reached: entries with an outreach attempt in the period that met the person or family;
    - to case: entries whose case was opened (intake date) in the period;
    - supervision: requests made, supervisions given (by their dates);
    - supported meeting municipalities: municipalities holding a meeting in the period that
      the prefecture, the centre or a 福祉保健所 supported (the meeting's own record, which
      giving a requested supervision fills in);
    - training: events held (of the scope's jurisdiction and the prefecture-wide ones) and
      their attendance; per jurisdiction for a prefecture;
    - publicity: actions in the scope's municipalities or prefecture-wide;
    - new cases by route: K1's cases by intake route;
    - supported places: ibasho and work sites with a support period overlapping the period.
    """
    in_scope = scope.q("municipality")
    per_muni: dict[int, dict[str, int]] = {}

    def tally(rows: Any, *keys: str) -> list[int]:
        """Each key's per-municipality counts of `rows` into per_muni; each key's total."""
        sums = [0] * len(keys)
        for row in rows:
            muni = per_muni.setdefault(row["municipality"], {})
            for index, key in enumerate(keys):
                if row[key]:
                    muni[key] = row[key]
                    sums[index] += row[key]
        return sums

    identified, reached, to_case = tally(
        _REGISTER(scope, start, end), "identified", "reached", "to_case"
    )
    requests, given = tally(_SUPERVISION(scope, start, end), "requests", "given")
    if counted is None:
        tally(  # supported meetings per municipality; the figure counts the municipalities
            CaseMeeting.objects.filter(in_scope, held_on__range=(start, end))
            .exclude(supervision=CaseMeeting.Supervision.NONE)
            .values("municipality")
            .annotate(meetings=Count("pk")),
            "meetings",
        )
        supported_municipalities = sum(1 for v in per_muni.values() if v.get("meetings"))
    else:
        tally(
            ({"municipality": pk, "meetings": n} for pk, n in counted.supported_meetings.items()),
            "meetings",
        )
        supported_municipalities = counted.supported_municipalities

    event_rows = _EVENTS(scope, start, end)
    attendance_by_j: dict[int | None, int] = dict(_ATTENDANCE(scope, start, end))
    events_by_j: dict[int | None, int] = {row["jurisdiction"]: row["n"] for row in event_rows}
    jurisdictions: list[Jurisdiction]
    if scope.is_national:
        jurisdictions = []  # every prefecture's offices would be no table to read: totals only
    elif scope.jurisdiction is None:
        jurisdictions = _JURISDICTIONS(scope.prefecture_code)
    else:
        jurisdictions = [scope.jurisdiction]
    by_jurisdiction = [
        JurisdictionTraining(
            name=j.name, events=events_by_j.get(j.pk, 0), attendance=attendance_by_j.get(j.pk) or 0
        )
        for j in jurisdictions
    ]
    if events_by_j.get(None) and not scope.is_national:
        from django.utils.translation import gettext as _

        by_jurisdiction.append(
            JurisdictionTraining(
                name=_("県全域"),
                events=events_by_j[None],
                attendance=attendance_by_j.get(None) or 0,
            )
        )

    publicity = _PUBLICITY.one(scope, start, end)["n"]
    if counted is None:
        routes = dict(
            # K1's cases: voided (取消) ones count nowhere.
            Case.objects.filter(in_scope, intake_date__range=(start, end), voided_at__isnull=True)
            .values("intake_route")
            .annotate(n=Count("pk"))
            .values_list("intake_route", "n")
        )
    else:
        routes = counted.new_cases_by_route
    supported = _SUPPORTED.one(scope, start, end)

    municipalities = [] if scope.is_national else _MUNICIPALITIES(scope)
    by_municipality = [
        MunicipalityProgramme(
            code=m.code,
            name=m.name,
            identified=per_muni.get(m.pk, {}).get("identified", 0),
            reached=per_muni.get(m.pk, {}).get("reached", 0),
            to_case=per_muni.get(m.pk, {}).get("to_case", 0),
            supervision_requests=per_muni.get(m.pk, {}).get("requests", 0),
            supervisions_given=per_muni.get(m.pk, {}).get("given", 0),
            supported_meetings=per_muni.get(m.pk, {}).get("meetings", 0),
        )
        for m in municipalities
    ]
    return ProgrammeFigures(
        survey_identified=identified,
        survey_reached=reached,
        survey_to_case=to_case,
        supervision_requests=requests,
        supervisions_given=given,
        supported_meeting_municipalities=supported_municipalities,
        training_events=sum(events_by_j.values()),
        training_attendance=sum(v or 0 for v in attendance_by_j.values()),
        publicity_actions=publicity,
        new_cases_by_route={v: routes.get(v, 0) for v in Case.Route.values},
        supported_ibasho=supported["ibasho"],
        supported_work_sites=supported["work"],
        incentive_work_sites=supported["incentive"],
        training_by_jurisdiction=by_jurisdiction,
        by_municipality=by_municipality,
    )
