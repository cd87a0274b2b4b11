"""Reads for referrals: the resource directory, the case timeline, the follow-up lists."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from accounts import access, scope
from accounts.access import forbid
from accounts.models import User
from cases.models import Case
from cases.timeline import TimelineEntry
from core.baked import attach, baked
from core.home import panel_query, panel_total
from referrals.models import (
    EmploymentOutcome,
    Referral,
    ReferralNote,
    ReferralTransition,
    Resource,
)

# Follow-up thresholds (days): a referral arranging for longer than this is stuck…
STUCK_ARRANGING_DAYS = 30
# …and a connected ibasho referral with no note for this long needs a word with the person.
QUIET_CONNECTED_DAYS = 90
# How many rows a home panel shows before "and N more".
PANEL_LIMIT = 10


def resources_for(user: User) -> QuerySet[Resource]:
    """The directory: resources of the user's prefecture (all for a blank prefecture)."""
    # By kind, then place (prefecture-wide first, then by local government code), then name.
    qs = Resource.objects.select_related("kind", "municipality").order_by(
        "kind__sort_order", F("municipality__code").asc(nulls_first=True), "name"
    )
    qs = access.in_prefecture(qs, user)
    # Whether the prefecture supports the place today (a support period covering today).
    today = timezone.localdate()
    current = Q(prefecture_support__starts_on__lte=today) & (
        Q(prefecture_support__ends_on__isnull=True) | Q(prefecture_support__ends_on__gte=today)
    )
    return qs.annotate(supported_now=Count("prefecture_support", filter=current, distinct=True))


def get_referral_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> Referral:
    """The referral if its case is in the user's scope; otherwise 404, audited as denied."""
    return access.get_for_user(
        Referral.objects.select_related(
            "case__municipality", "case__person", "case__assigned_counselor", "resource__kind"
        ),
        user,
        pk,
        request=request,
    )


def get_employment_for_user(
    user: User, pk: int, *, request: HttpRequest | None = None
) -> EmploymentOutcome:
    return access.get_for_user(
        EmploymentOutcome.objects.select_related(
            "case__municipality", "case__person", "basis_referral__resource"
        ),
        user,
        pk,
        request=request,
    )


def case_referrals(case: Case) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(case=case)
        .select_related("resource__kind", "resource__municipality")
        .order_by("-proposed_on", "-id")
    )


def case_employments(case: Case) -> QuerySet[EmploymentOutcome]:
    return EmploymentOutcome.objects.filter(case=case).select_related(
        "basis_referral__resource", "voided_by"
    )


_referral_steps_of = baked(
    lambda case_id: ReferralTransition.objects.filter(referral__case=case_id).select_related(
        "referral__resource__kind", "by", "voided_by"
    )
)
_employments_of = baked(
    lambda case_id: EmploymentOutcome.objects.filter(case=case_id).select_related("voided_by")
)


def referral_timeline_entries(case: Case) -> Iterable[TimelineEntry]:
    """Case timeline provider: every referral step and every job start (two queries)."""
    transitions = _referral_steps_of(case.pk)
    entries = [
        TimelineEntry(
            date=t.on,
            kind="referral",
            template="referrals/timeline_referral.html",
            obj=t,
            order=(t.created_at, t.pk),
        )
        for t in transitions
    ]
    entries.extend(
        TimelineEntry(
            date=e.started_on,
            kind="employment",
            template="referrals/timeline_employment.html",
            obj=e,
            order=(e.created_at, e.pk),
        )
        for e in attach(_employments_of(case.pk), case=case)
    )
    return entries


# Follow-up lists ----------------------------------------------------------------------------


def _mine_first(
    qs: QuerySet[Referral], municipality_ids: list[int], user_id: int, *then: str
) -> QuerySet[Referral]:
    """The user's own cases first, then the order `then`: what a counselor opening the home
    page expects to act on. "Own" is membership of the user's cases in the scope, a hashed
    list PostgreSQL builds once (1,143 ids for the biggest caseload at full scale), not the
    case of every referral read through its primary key (bench/: 1,017 index probes for the
    biggest municipality's stuck list)."""
    mine = Case.objects.filter(
        assigned_counselor=user_id, municipality__in=municipality_ids
    ).values("pk")
    return qs.annotate(
        is_mine=SqlCase(When(case__in=mine, then=Value(0)), default=Value(1))
    ).order_by("is_mine", *then)


def _live_cases[Q: QuerySet[Referral]](qs: Q, municipality_ids: list[int]) -> Q:
    """Referrals of cases not voided: the scope's voided cases (few; `case_voided_muni_idx`)
    left out by a hashed list instead of a join to every referral's case."""
    voided = Case.objects.filter(municipality__in=municipality_ids, voided_at__isnull=False).values(
        "pk"
    )
    return qs.exclude(case__in=voided)


def stuck_arranging(user: User, *, today: dt.date | None = None) -> QuerySet[Referral]:
    """Referrals in 調整中 for more than 30 days, in the user's scope; own cases first."""
    today = today or timezone.localdate()
    return _stuck(
        scope.personal_municipality_ids(user),
        user.pk,
        today - dt.timedelta(days=STUCK_ARRANGING_DAYS),
    )


def _stuck(municipality_ids: list[int], user_id: int, before: dt.date) -> QuerySet[Referral]:
    qs = _live_cases(Referral.objects.in_municipalities(municipality_ids), municipality_ids).filter(
        status=Referral.Status.ARRANGING,
        arranging_on__lt=before,
    )
    return _mine_first(qs, municipality_ids, user_id, "arranging_on", "id").select_related(
        "case__person", "resource"
    )


def quiet_connected(user: User, *, today: dt.date | None = None) -> QuerySet[Referral]:
    """Connected 居場所等 referrals with no note for 90 days (or none since connecting)."""
    today = today or timezone.localdate()
    return _quiet(
        scope.personal_municipality_ids(user),
        user.pk,
        today - dt.timedelta(days=QUIET_CONNECTED_DAYS),
    )


def _quiet(municipality_ids: list[int], user_id: int, cutoff: dt.date) -> QuerySet[Referral]:
    last_note = ReferralNote.objects.filter(referral=OuterRef("pk")).order_by("-date")
    # "No note after the cutoff" as an anti-join (NOT EXISTS) rather than a filter on the
    # latest note's date: the same rows (connected on or before the cutoff), but PostgreSQL
    # no longer runs the latest-note subquery for every connected referral of the country
    # before joining (bench/: 95 ms → 50 ms for the largest municipality).
    noted_since = ReferralNote.objects.filter(referral=OuterRef("pk"), date__gt=cutoff)
    qs = (
        _live_cases(Referral.objects.in_municipalities(municipality_ids), municipality_ids)
        .counting_as_ibasho()
        .filter(status=Referral.Status.CONNECTED, connected_on__lte=cutoff)
        .filter(~Exists(noted_since))
        .annotate(last_note_on=Subquery(last_note.values("date")[:1]))
        .annotate(quiet_since=Coalesce("last_note_on", "connected_on"))
    )
    return _mine_first(qs, municipality_ids, user_id, "quiet_since", "id").select_related(
        "case__person", "resource"
    )


# What the home panel's tables show (referrals/_follow_up_tables.html) of a referral and its
# resource: the query compiles, fetches and builds models from these columns only. The case
# (number, person) is read afterwards for the rows shown.
PANEL_COLUMNS = ("case", "arranging_on", "connected_on", "resource__name")


def _panel_list(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    """A list's first rows with its total (core.home.panel_query). The cases and persons are
    read afterwards for the rows shown: joined in the list's query, a case (and a person) is
    read for every row the total counts (1,017 rows, 4,068 buffers for the biggest
    municipality's stuck list at full scale, bench/)."""
    qs = qs.select_related(None).select_related("resource").only(*PANEL_COLUMNS)
    return panel_query(qs, PANEL_LIMIT)


# The two lists of the home panel, baked (core.baked: compiled once).
_stuck_panel = baked(lambda ids, user_id, before: _panel_list(_stuck(ids, user_id, before)))
_quiet_panel = baked(lambda ids, user_id, cutoff: _panel_list(_quiet(ids, user_id, cutoff)))


def home_stuck_referrals(request: HttpRequest) -> dict[str, Any] | None:
    """Home panel: the two follow-up lists. Hidden for roles without personal data and when
    both lists are empty. Own cases come first, then the rest of the user's scope."""
    user = request.user
    if not scope.can_see_personal_data(user):
        return None
    today = timezone.localdate()
    ids = scope.personal_municipality_ids(user)
    stuck = _stuck_panel(ids, user.pk, today - dt.timedelta(days=STUCK_ARRANGING_DAYS))
    quiet = _quiet_panel(ids, user.pk, today - dt.timedelta(days=QUIET_CONNECTED_DAYS))
    stuck_total, quiet_total = panel_total(stuck), panel_total(quiet)
    if not stuck_total and not quiet_total:
        return None
    rows = stuck + quiet
    cases = (
        Case.objects.select_related("person")
        .only("number", "person__name", "person__kana")
        .in_bulk({r.case_id for r in rows})
    )
    for r in rows:
        r.case = cases[r.case_id]
    return {
        "template": "referrals/home_follow_up.html",
        "stuck": stuck,
        "stuck_total": stuck_total,
        "quiet": quiet,
        "quiet_total": quiet_total,
        "today": today,
        "stuck_days": STUCK_ARRANGING_DAYS,
        "quiet_days": QUIET_CONNECTED_DAYS,
    }


def ensure_personal(request: HttpRequest) -> None:
    """Prefecture staff (aggregates only) are refused personal pages with a 403 (audited).
    Kept for older callers; views use `accounts.access.personal_data_view`."""
    if not scope.can_see_personal_data(request.user):
        raise forbid(request, object_type="referrals", reason="no personal-data rights")
