"""Reads for the casework cycle: the case page's plan, timeline entries, home panels, figures.

Every record is reached through a case fetched by `cases.selectors.get_case_for_user` or a
queryset narrowed with `in_scope(user)`; a record outside the user's scope is a 404 (audited).
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.access import get_for_user
from accounts.scope import personal_municipality_ids
from accounts.types import AuthenticatedHttpRequest, User
from cases.models import Case
from cases.selectors import HOME_ROWS, _works_on_cases, my_open_cases_of
from cases.timeline import TimelineEntry
from casework.models import (
    Assessment,
    Consent,
    ContactDetail,
    MeetingCaseBasis,
    PlanGoal,
    Review,
    SupportPlan,
)
from core.baked import attach, baked, totals
from core.home import panel_query, panel_total
from kpi.scopes import Scope, scoped_baked
from referrals.models import Referral

# A case in アセスメント this long without an assessment surfaces on the home page.
ASSESSMENT_WAIT_DAYS = 30
# Reviews due within this many days show as "due soon" beside the overdue ones.
REVIEW_SOON_DAYS = 14


def get_assessment_for_user(
    user: User, pk: int, *, request: HttpRequest | None = None
) -> Assessment:
    qs = Assessment.objects.select_related("case__municipality", "case__person", "assessor")
    return get_for_user(qs, user, pk, request=request)


def get_plan_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> SupportPlan:
    qs = SupportPlan.objects.select_related(
        "case__municipality", "case__person", "decided_meeting", "created_by"
    )
    return get_for_user(qs, user, pk, request=request)


def get_review_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> Review:
    qs = Review.objects.select_related(
        "plan", "case__municipality", "case__person", "stage", "recorded_by"
    )
    return get_for_user(qs, user, pk, request=request)


def get_consent_for_user(user: User, pk: int, *, request: HttpRequest | None = None) -> Consent:
    qs = Consent.objects.select_related("case__municipality", "case__person")
    return get_for_user(qs, user, pk, request=request)


def goals_with_referrals(plan: SupportPlan) -> list[PlanGoal]:
    referrals = Referral.objects.select_related("resource__kind").order_by("proposed_on", "id")
    return list(
        plan.goals.select_related("agency", "resource").prefetch_related(
            Prefetch("referrals", queryset=referrals)
        )
    )


def current_plan(case: Case) -> SupportPlan | None:
    return (
        case.plans.filter(status__in=SupportPlan.CURRENT_STATUSES)
        .select_related("decided_meeting")
        .first()
    )


def closing_review_url(case: Case) -> str | None:
    """Where closing a case goes next: the closing evaluation of its current plan, if any."""
    plan = current_plan(case)
    if plan is None:
        return None
    return reverse("casework:review_create", args=[plan.pk]) + "?closing=1"


_contact_details_of = baked(
    lambda person_id: ContactDetail.objects.filter(person_id=person_id).select_related("member")
)


def case_casework(case: Case, timeline: list[TimelineEntry] | None = None) -> dict[str, Any]:
    """What the case page shows at the top: the current plan with its goals and referrals,
    the latest assessment, the consent in force, the contact caution.

    Given the case's timeline (`cases.timeline.case_timeline`, which holds every assessment,
    plan and consent of the case), the current plan, the latest assessment and the consents
    are picked from it in their models' own order instead of three more queries."""
    if timeline is None:
        plan = current_plan(case)
        latest_assessment = case.assessments.filter(voided_at__isnull=True).first()
    else:
        plans = {e.obj.pk: e.obj for e in timeline if e.kind == "plan"}.values()
        # SupportPlan.Meta.ordering is (case, -number); Assessment's (-assessed_on, -id).
        plan = max((p for p in plans if p.is_current), key=lambda p: p.number, default=None)
        latest_assessment = max(
            (e.obj for e in timeline if e.kind == "assessment" and e.obj.voided_at is None),
            key=lambda a: (a.assessed_on, a.pk),
            default=None,
        )
    today = timezone.localdate()
    if timeline is None:
        consents = list(case.consents.all())
    else:  # every consent of the case has its entry; in Consent's order (-valid_from, -id)
        consents = sorted(
            (e.obj for e in timeline if e.kind == "consent"),
            key=lambda c: (c.valid_from, c.pk),
            reverse=True,
        )
    in_force = [c for c in consents if c.in_force_on(today)]
    details = _contact_details_of(case.person_id)
    contact = next((c for c in details if c.member_id is None), None)
    cautions = [c for c in details if c.caution]
    return {
        "plan": plan,
        "goals": goals_with_referrals(plan) if plan else [],
        "plan_overdue": bool(plan and plan.next_review_on < today),
        "latest_assessment": latest_assessment,
        "consents_in_force": in_force,
        "consent_count": len(consents),
        "contact": contact,
        "cautions": cautions,
    }


# --- Timeline providers (cases.timeline.PROVIDERS) ------------------------------------------
#
# Each reads by the case's id through a baked query (core.baked: the SQL compiled once), and
# gives each row the case, as `case.assessments` and the like would.

_assessments_of = baked(
    lambda case_id: Assessment.objects.filter(case_id=case_id).select_related("assessor")
)
_plans_of = baked(
    lambda case_id: SupportPlan.objects.filter(case_id=case_id).select_related("decided_meeting")
)
_reviews_of = baked(
    lambda case_id: Review.objects.filter(case_id=case_id).select_related(
        "stage", "plan", "recorded_by"
    )
)
_consents_of = baked(lambda case_id: Consent.objects.filter(case_id=case_id))


def assessment_entries(case: Case) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            date=a.assessed_on,
            kind="assessment",
            template="casework/_assessment_entry.html",
            obj=a,
            order=(a.created_at, a.pk),
        )
        for a in attach(_assessments_of(case.pk), case=case)
    ]


def plan_entries(case: Case) -> list[TimelineEntry]:
    entries = []
    for plan in attach(_plans_of(case.pk), case=case):
        entries.append(
            TimelineEntry(
                date=plan.drafted_on,
                kind="plan",
                template="casework/_plan_entry.html",
                obj=plan,
                order=(plan.created_at, plan.pk, 0),
            )
        )
        if plan.decided_on:
            entries.append(
                TimelineEntry(
                    date=plan.decided_on,
                    kind="plan_decision",
                    template="casework/_decision_entry.html",
                    obj=plan,
                    order=(plan.updated_at, plan.pk, 1),
                )
            )
    return entries


def review_entries(case: Case) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            date=r.reviewed_on,
            kind="review",
            template="casework/_review_entry.html",
            obj=r,
            order=(r.created_at, r.pk),
        )
        for r in attach(_reviews_of(case.pk), case=case)
    ]


def consent_entries(case: Case) -> list[TimelineEntry]:
    entries = []
    for c in attach(_consents_of(case.pk), case=case):
        entries.append(
            TimelineEntry(
                date=c.valid_from,
                kind="consent",
                template="casework/_consent_entry.html",
                obj=c,
                order=(c.created_at, c.pk, 0),
            )
        )
        if c.withdrawn_on:
            entries.append(
                TimelineEntry(
                    date=c.withdrawn_on,
                    kind="consent_withdrawn",
                    template="casework/_consent_withdrawn_entry.html",
                    obj=c,
                    order=(c.created_at, c.pk, 1),
                )
            )
    return entries


# --- Home panels (core.home.PANELS) ---------------------------------------------------------


# The two panels' queries, baked (core.baked: compiled once).
_reviews_due = baked(
    lambda ids, user_id, until: panel_query(
        SupportPlan.objects.filter(
            status__in=SupportPlan.CURRENT_STATUSES,
            case__in=my_open_cases_of(ids, user_id).values("pk"),
            next_review_on__lte=until,
        )
        .select_related("case__person")
        .only(  # what the panel shows (casework/_home_reviews_due.html)
            "number",
            "status",
            "next_review_on",
            "case__number",
            "case__person__name",
            "case__person__kana",
        )
        .order_by("next_review_on", "id"),
        HOME_ROWS,
    )
)
_assessment_waiting = baked(
    lambda ids, user_id, since: panel_query(
        my_open_cases_of(ids, user_id)
        .filter(status=Case.Status.ASSESSMENT, status_changed_on__lt=since)
        .filter(~Exists(Assessment.objects.filter(case=OuterRef("pk"), voided_at__isnull=True)))
        .select_related(None)
        .select_related("person")
        .only("number", "status_changed_on", "person__name", "person__kana")  # what it shows
        .order_by("status_changed_on", "id"),
        HOME_ROWS,
    )
)


def home_reviews_due(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """Current plans of my open cases whose review date is past or within two weeks."""
    user = request.user
    if not _works_on_cases(user):
        return None
    today = timezone.localdate()
    rows = _reviews_due(
        personal_municipality_ids(user), user.pk, today + dt.timedelta(days=REVIEW_SOON_DAYS)
    )
    total = panel_total(rows)
    for plan in rows:
        plan.days_overdue = (today - plan.next_review_on).days  # for the template
    return {
        "template": "casework/_home_reviews_due.html",
        "plans": rows,
        "total": total,
        "today": today,
    }


def home_assessment_waiting(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """My cases in アセスメント for more than N days with no assessment recorded."""
    user = request.user
    if not _works_on_cases(user):
        return None
    today = timezone.localdate()
    since = today - dt.timedelta(days=ASSESSMENT_WAIT_DAYS)
    rows = _assessment_waiting(personal_municipality_ids(user), user.pk, since)
    total = panel_total(rows)
    for case in rows:
        case.days_waiting = (today - case.status_changed_on).days  # for the template
    return {
        "template": "casework/_home_assessment_waiting.html",
        "cases": rows,
        "total": total,
        "days": ASSESSMENT_WAIT_DAYS,
        "list_query": urlencode({"counselor": user.pk, "status": Case.Status.ASSESSMENT}),
    }


# --- Meeting page -----------------------------------------------------------------------------


def meeting_casework(meeting: Any) -> dict[str, Any]:
    """For the meeting page: the plans it decided and the basis recorded per case."""
    bases = {
        b.case_id: b for b in MeetingCaseBasis.objects.filter(meeting=meeting).select_related(
            "consent")
    }  # fmt: skip
    from casework.services import missing_consent_warnings

    cases = list(meeting.cases.prefetch_related("consents"))
    return {
        "decided_plans": list(meeting.decided_plans.select_related("case")),
        "basis_rows": [(case, bases.get(case.pk)) for case in cases],
        "consent_missing": missing_consent_warnings(meeting, cases),
    }


# --- KPI secondary figures ------------------------------------------------------------------


_OPEN_WITH_PLAN = scoped_baked(
    lambda scope, end: totals(
        Case.objects.filter(scope.q("municipality"), intake_date__lte=end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=end))
        .filter(Exists(SupportPlan.objects.filter(case=OuterRef("pk"), decided_on__lte=end))),
        n=Count("*"),
    )
)
_REVIEW_COUNTS = scoped_baked(
    lambda scope, start, end: totals(
        Review.objects.filter(
            case__in=Case.objects.filter(scope.q("municipality")).values("pk"),
            reviewed_on__gte=start,
            reviewed_on__lte=end,
        ),
        total=Count("pk", filter=Q(closing=False)),
        on_time=Count("pk", filter=Q(closing=False, on_time=True)),
        persons=Count("case__person", distinct=True, filter=Q(moved_forward=True)),
    )
)


def casework_figures(scope: "Scope", start: dt.date, end: dt.date) -> dict[str, int]:
    """Counts of a KPI scope's cases for the dashboard (no personal data; two queries, baked
    per kind of scope).

    - open_with_plan: cases open on `end` with a plan decided on or before `end`;
    - reviews / reviews_on_time: reviews dated in [start, end], and those done by their due date;
    - stage_forward: distinct persons with at least one review in [start, end] that moved their
      stage of support forward (once per person and year, whatever the number of steps).
    """
    open_with_plan = _OPEN_WITH_PLAN.one(scope, end)["n"]
    reviews = _REVIEW_COUNTS.one(scope, start, end)
    return {
        "open_with_plan": open_with_plan,
        "reviews": reviews["total"],
        "reviews_on_time": reviews["on_time"],
        "stage_forward": reviews["persons"],
    }
