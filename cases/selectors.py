"""Reads for cases. Every view that touches a case starts here."""

import datetime as dt
import heapq
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from urllib.parse import urlencode

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from accounts import access
from accounts.models import User
from accounts.scope import can_see_personal_data, personal_municipality_ids
from accounts.types import AuthenticatedHttpRequest
from cases.kana import kana_key, name_key
from cases.models import Case, CaseQuerySet, CaseStatusChange, Consultation, IssueTag, Person
from cases.timeline import TimelineEntry
from core.baked import attach, baked

# The old names, kept for callers written before accounts.access: thin aliases onto it.
deny = access.deny


_case_with_people = baked(
    lambda municipality_ids, pk: (
        Case.objects.select_related("municipality", "person", "assigned_counselor")
        .in_municipalities(municipality_ids)
        .filter(pk=pk)
        .order_by("pk")[:1]
    )
)


def get_case_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> Case:
    """The case if the user may see it; otherwise 404, audited as permission denied."""
    return access.get_baked_for_user(_case_with_people, Case, user, pk, request=request)


# --- Persons -------------------------------------------------------------------------------


def person_duplicates(
    user: User, *, municipality_id: int, kana: str, birth_year: int | None, name: str = ""
) -> list[Person]:
    """Persons who may be the one being registered: same municipality, the same kana or the
    same name (spaces, katakana/hiragana and variant kanji ignored), a birth year within one
    year of the given one (people misremember it), or either birth year unknown."""
    same = Q()
    if key := kana_key(kana):
        same |= Q(kana_key=key)
    if key := name_key(name):
        same |= Q(name_key=key)
    if not same:
        return []
    qs = Person.objects.in_scope(user).filter(same, municipality_id=municipality_id)
    if birth_year is not None:
        qs = qs.filter(
            Q(birth_year__range=(birth_year - 1, birth_year + 1)) | Q(birth_year__isnull=True)
        )
    cases = Case.objects.select_related("assigned_counselor").order_by("-intake_date")
    return list(qs.prefetch_related(Prefetch("cases", queryset=cases)).order_by("id")[:20])


# --- Timeline providers (see cases.timeline.PROVIDERS) -------------------------------------


_consultations_of = baked(
    lambda case_id: Consultation.objects.filter(case_id=case_id).select_related(
        "recorded_by", "voided_by"
    )
)
_status_changes_of = baked(
    lambda case_id: CaseStatusChange.objects.filter(case_id=case_id).select_related("changed_by")
)


def consultation_entries(case: Case) -> list[TimelineEntry]:
    consultations = attach(_consultations_of(case.pk), case=case)
    return [
        TimelineEntry(
            date=c.date,
            kind="consultation",
            template="cases/_consultation_entry.html",
            obj=c,
            order=(c.created_at, c.pk),
        )
        for c in consultations
    ]


def status_change_entries(case: Case) -> list[TimelineEntry]:
    changes = attach(_status_changes_of(case.pk), case=case)
    return [
        TimelineEntry(
            date=s.changed_on,
            kind="status",
            template="cases/_status_entry.html",
            obj=s,
            order=(s.created_at, s.pk),
        )
        for s in changes
    ]


# --- Home panels (see core.home.PANELS) ----------------------------------------------------

HOME_ROWS = 10
NO_CONTACT_DAYS = 90
RECENT_DAYS = 30  # the home page's "recent records": consultations dated within this window


def _works_on_cases(user: User) -> bool:
    """The home panels are for the people who carry cases."""
    return can_see_personal_data(user) and user.role in (User.Role.COUNSELOR, User.Role.CENTER)


def my_open_cases_of(municipality_ids: list[int], user_id: int) -> CaseQuerySet:
    """The user's open cases, by the user's scope ids and id (for baked queries' builders)."""
    return (
        Case.objects.in_municipalities(municipality_ids)
        .open()
        .filter(assigned_counselor=user_id)
        .select_related("municipality", "person")
    )


@dataclass
class _HomeCases:
    """The three case panels of one home page, worked out together (`_home_cases`)."""

    follow_ups: list[Case]
    follow_ups_total: int
    no_contact: list[Case]
    no_contact_total: int
    mine: list[Case]
    mine_total: int


_HOME_CASES = "_home_cases"  # the request attribute `_home_cases` keeps its answer in


def _latest_consultation() -> QuerySet[Consultation]:
    return Consultation.objects.filter(case=OuterRef("pk"), voided_at__isnull=True).order_by(
        "-date", "-id"
    )


# The home panels' two case queries (see _home_cases), baked (core.baked: compiled once).
_open_case_digest = baked(
    lambda municipality_ids, user_id: (
        Case.objects.in_municipalities(municipality_ids)
        .open()
        .filter(assigned_counselor=user_id)
        .annotate(
            last_contact_on=Subquery(_latest_consultation().values("date")[:1]),
            next_action_on=Subquery(_latest_consultation().values("next_action_date")[:1]),
        )
        .order_by()
        .values_list("pk", "intake_date", "last_contact_on", "next_action_on")
    )
)
_home_case_rows = baked(
    lambda case_ids: (
        Case.objects.filter(pk__in=case_ids)
        .select_related("person")
        .only("number", "status", "person__name", "person__kana")  # what the panels show
        .annotate(
            next_action_text=Subquery(_latest_consultation().values("next_action")[:1]),
            # The follow-up row's 「家族と記録する」 link names the 相手 of the latest record,
            # voided or not, as it always has.
            last_with_whom=Subquery(
                Consultation.objects.filter(case=OuterRef("pk"))
                .order_by("-date", "-id")
                .values("with_whom")[:1]
            ),
        )
    )
)


def _home_cases(request: AuthenticatedHttpRequest) -> _HomeCases:
    """My open cases' follow-ups due, cases without contact and newest intakes, in two
    queries whatever the caseload, read once per request.

    The first reads every open case of mine as a few dates (its intake and, from its latest
    consultation, the contact date and next action date): enough to choose each panel's rows
    and count its total here, where three row queries and three counts each used to work out
    the latest consultation of every open case again (bench/: issue #22). The second reads the
    chosen cases (at most 3 × HOME_ROWS) with their persons for the templates.
    """
    cached: _HomeCases | None = getattr(request, _HOME_CASES, None)
    if cached is not None:
        return cached
    user = request.user
    today = timezone.localdate()
    since = today - dt.timedelta(days=NO_CONTACT_DAYS)
    # (pk, intake_date, last_contact_on, next_action_on), the ones `with_activity` reads.
    digest: list[tuple[int, dt.date, dt.date | None, dt.date | None]] = _open_case_digest(
        personal_municipality_ids(user), user.pk
    )
    # Each panel's order, as its query had it: the row's sort key, then the id. Sorted with
    # C-level keys (itemgetter, tuples built in a comprehension): a Python key function is
    # called once per open case, ~1,400 calls a request for a full caseload (issue #22).
    due = [row for row in digest if row[3] is not None and row[3] <= today]
    due.sort(key=itemgetter(0))
    due.sort(key=itemgetter(3), reverse=True)  # stable: equal days keep the ids ascending
    silent = [
        row
        for _, _, row in sorted([(r[2] or r[1], r[0], r) for r in digest if (r[2] or r[1]) < since])
    ]
    newest = heapq.nlargest(HOME_ROWS, digest, key=itemgetter(1, 0))
    shown = {row[0] for rows in (due[:HOME_ROWS], silent[:HOME_ROWS], newest) for row in rows}
    cases: dict[int, Case] = {case.pk: case for case in _home_case_rows(sorted(shown))}
    activity = {row[0]: row for row in digest}
    for case in cases.values():
        _, intake_date, last_contact_on, next_action_on = activity[case.pk]
        case.last_contact_on = last_contact_on  # type: ignore[attr-defined]  # with_activity's names
        case.next_action_on = next_action_on  # type: ignore[attr-defined]
        case.last_seen_on = last_contact_on or intake_date  # type: ignore[attr-defined]
    result = _HomeCases(
        follow_ups=[cases[row[0]] for row in due[:HOME_ROWS]],
        follow_ups_total=len(due),
        no_contact=[cases[row[0]] for row in silent[:HOME_ROWS]],
        no_contact_total=len(silent),
        mine=[cases[row[0]] for row in newest],
        mine_total=len(digest),
    )
    setattr(request, _HOME_CASES, result)
    return result


def home_follow_ups(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """Follow-ups due today and overdue on my open cases: today's first, then the most
    recently missed (long-missed ones also surface in the no-contact panel)."""
    user = request.user
    if not _works_on_cases(user):
        return None
    today = timezone.localdate()
    home = _home_cases(request)
    labels = dict(Consultation.WithWhom.choices)
    for case in home.follow_ups:
        case.days_overdue = (today - case.next_action_on).days  # type: ignore[attr-defined]  # for the template
        # The row's 「家族と記録する」 link names the 相手 it chooses: the click is the choice.
        case.with_whom_label = labels.get(case.last_with_whom, "")  # type: ignore[attr-defined]  # for the template
    return {
        "template": "cases/_home_follow_ups.html",
        "cases": home.follow_ups,
        "total": home.follow_ups_total,
        "today": today,
        "list_query": urlencode({"counselor": user.pk, "overdue": "on", "o": "-next_action"}),
    }


def home_no_contact(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """My open cases with no contact for 90 days: they must surface, not vanish."""
    user = request.user
    if not _works_on_cases(user):
        return None
    today = timezone.localdate()
    home = _home_cases(request)
    for case in home.no_contact:
        case.days_silent = (today - case.last_seen_on).days  # type: ignore[attr-defined]  # for the template
    return {
        "template": "cases/_home_no_contact.html",
        "cases": home.no_contact,
        "total": home.no_contact_total,
        "days": NO_CONTACT_DAYS,
        "list_query": urlencode({"counselor": user.pk, "no_contact": "on", "o": "last_contact"}),
    }


def home_my_cases(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """My open cases, the newest intake first (follow-ups have their own panel)."""
    user = request.user
    if not _works_on_cases(user):
        return None
    home = _home_cases(request)
    return {
        "template": "cases/_home_my_cases.html",
        "cases": home.mine,
        "total": home.mine_total,
        "list_query": urlencode({"counselor": user.pk, "status": "open"}),
    }


RECENT_COLUMNS = (
    "date",
    "method",
    "with_whom",
    "case__number",
    "case__person__name",
    "case__person__kana",
    "recorded_by__username",
    "recorded_by__display_name",
)


_recent_consultations = baked(
    lambda municipality_ids, since: (
        Consultation.objects.in_municipalities(municipality_ids)
        .filter(date__gte=since, voided_at__isnull=True, case__voided_at__isnull=True)
        .select_related("case", "case__person", "recorded_by")
        # What the panel shows (cases/_home_recent.html): a fraction of the four rows' columns,
        # which the query would otherwise compile, fetch and build models from.
        .only(*RECENT_COLUMNS)
        .order_by("-date", "-created_at", "-id")[:HOME_ROWS]
    )
)


def home_recent_activity(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """The latest contacts on the cases I may see, newest first, from the last 30 days.

    The window keeps the query short whatever the scope: a large municipality finds its rows
    at the top of the `consult_latest_idx` index, a small one goes case by case through its
    few cases' recent consultations, and neither reads years of records.
    """
    user = request.user
    if not _works_on_cases(user):
        return None
    since = timezone.localdate() - dt.timedelta(days=RECENT_DAYS - 1)  # today and 29 before
    recent = _recent_consultations(personal_municipality_ids(user), since)
    return {
        "template": "cases/_home_recent.html",
        "consultations": recent,
        "days": RECENT_DAYS,
    }


# What a row of the list shows (cases/_case_row.html, cases_tags.case_row) of a case and its
# municipality, person and counselor: the query compiles, fetches and builds models from
# these columns only (issue #22); a column read beyond them costs a query a row, which the
# list's query-count test would catch.
LIST_COLUMNS = (
    "number",
    "voided_at",
    "status",
    "intake_date",
    "age_band_at_intake",
    "municipality__name_ja",
    "municipality__name_en",
    "person__name",
    "person__kana",
    "assigned_counselor__username",
    "assigned_counselor__display_name",
)
# A page's rows by id (in the scope still: the ids came from it), with their activity: baked,
# where filtering the list's query again by its own page compiled every filter and the
# activity subqueries a second time (issue #22).
_LIST_ROWS = baked(
    lambda scope_ids, case_ids: (
        Case.objects.in_municipalities(scope_ids)
        .filter(pk__in=case_ids)
        .with_activity()
        .select_related("municipality", "person", "assigned_counselor")
        .only(*LIST_COLUMNS)
    )
)


def case_list_rows(scope_ids: list[int], case_ids: list[int]) -> list[Case]:
    """The case list's rows for a page's ids, in their order, each with its activity
    (`with_activity`) and its tags' names (`tag_names_attach`): two queries."""
    position = {pk: index for index, pk in enumerate(case_ids)}
    rows = sorted(_LIST_ROWS(scope_ids, case_ids), key=lambda case: position[case.pk])
    return tag_names_attach(rows)


# The case list's tags, each case's names in the tags' own order: name pairs, not a model
# instance a tag and a related manager a case as prefetch_related("issue_tags") builds
# (a tenth of the list's CPU, issue #22, scripts/profile_pages.py).
_TAG_NAMES = baked(
    lambda case_ids: (
        Case.issue_tags.through.objects.filter(case_id__in=case_ids)
        .order_by("issuetag__sort_order", "issuetag_id")
        .values_list("case_id", "issuetag__name_ja", "issuetag__name_en")
    )
)


def tag_names_attach[C: Case](cases: list[C]) -> list[C]:
    """Set `case.tag_names` on each case: its issue tags' names in the active language, as
    `[tag.name for tag in case.issue_tags.all()]` would give them, in one query."""
    names: dict[int, list[str]] = {case.pk: [] for case in cases}
    for case_id, name_ja, name_en in _TAG_NAMES(list(names)):
        names[case_id].append(IssueTag.name_in_language(name_ja, name_en))
    for case in cases:
        case.tag_names = names[case.pk]  # type: ignore[attr-defined]  # for cases_tags.case_row
    return cases
