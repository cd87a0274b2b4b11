"""Reads for cases. Every view that touches a case starts here."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import HttpRequest
from django.utils import timezone

from accounts import access
from accounts.models import User
from accounts.scope import can_see_personal_data
from accounts.types import AuthenticatedHttpRequest
from cases.kana import kana_key, name_key
from cases.models import Case, CaseQuerySet, Consultation, Person
from cases.timeline import TimelineEntry

# The old names, kept for callers written before accounts.access: thin aliases onto it.
deny = access.deny


def get_case_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> Case:
    """The case if the user may see it; otherwise 404, audited as permission denied."""
    return access.get_for_user(
        Case.objects.select_related("municipality", "person", "assigned_counselor"),
        user,
        pk,
        request=request,
    )


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


def consultation_entries(case: Case) -> list[TimelineEntry]:
    consultations = case.consultations.select_related("recorded_by", "voided_by")
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
    changes = case.status_changes.select_related("changed_by")
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


def _my_open_cases(user: User) -> CaseQuerySet:
    return (
        Case.objects.in_scope(user)
        .open()
        .filter(assigned_counselor=user)
        .select_related("municipality", "person")
    )


def home_follow_ups(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """Follow-ups due today and overdue on my open cases: today's first, then the most
    recently missed (long-missed ones also surface in the no-contact panel)."""
    user = request.user
    if not _works_on_cases(user):
        return None
    today = timezone.localdate()
    qs = _my_open_cases(user).follow_up_due(today).order_by("-next_action_on", "id")
    latest = Consultation.objects.filter(case=OuterRef("pk")).order_by("-date", "-id")
    rows = list(qs.annotate(last_with_whom=Subquery(latest.values("with_whom")[:1]))[:HOME_ROWS])
    labels = dict(Consultation.WithWhom.choices)
    for case in rows:
        assert case.next_action_on is not None  # follow_up_due keeps those with one
        case.days_overdue = (today - case.next_action_on).days  # type: ignore[attr-defined]  # for the template
        # The row's 「家族と記録する」 link names the 相手 it chooses: the click is the choice.
        case.with_whom_label = labels.get(case.last_with_whom, "")  # type: ignore[attr-defined]  # for the template
    return {
        "template": "cases/_home_follow_ups.html",
        "cases": rows,
        "total": qs.count() if len(rows) == HOME_ROWS else len(rows),
        "today": today,
        "list_query": urlencode({"counselor": user.pk, "overdue": "on", "o": "-next_action"}),
    }


def home_no_contact(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """My open cases with no contact for 90 days: they must surface, not vanish."""
    user = request.user
    if not _works_on_cases(user):
        return None
    today = timezone.localdate()
    since = today - dt.timedelta(days=NO_CONTACT_DAYS)
    qs = _my_open_cases(user).no_contact_since(since).order_by("last_seen_on", "id")
    rows = list(qs[:HOME_ROWS])
    for case in rows:
        case.days_silent = (today - case.last_seen_on).days  # type: ignore[attr-defined]  # for the template
    return {
        "template": "cases/_home_no_contact.html",
        "cases": rows,
        "total": qs.count() if len(rows) == HOME_ROWS else len(rows),
        "days": NO_CONTACT_DAYS,
        "list_query": urlencode({"counselor": user.pk, "no_contact": "on", "o": "last_contact"}),
    }


def home_my_cases(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """My open cases, the newest intake first (follow-ups have their own panel)."""
    user = request.user
    if not _works_on_cases(user):
        return None
    qs = _my_open_cases(user).with_activity().order_by("-intake_date", "-id")
    rows = list(qs[:HOME_ROWS])
    return {
        "template": "cases/_home_my_cases.html",
        "cases": rows,
        "total": qs.count() if len(rows) == HOME_ROWS else len(rows),
        "list_query": urlencode({"counselor": user.pk, "status": "open"}),
    }


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
    recent = list(
        Consultation.objects.in_scope(user)
        .filter(date__gte=since, voided_at__isnull=True, case__voided_at__isnull=True)
        .select_related("case", "case__person", "recorded_by")
        .order_by("-date", "-created_at", "-id")[:HOME_ROWS]
    )
    return {
        "template": "cases/_home_recent.html",
        "consultations": recent,
        "days": RECENT_DAYS,
    }
