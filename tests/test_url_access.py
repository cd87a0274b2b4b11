"""Who gets what at every URL: one declared table, checked for every role.

The test walks every URL pattern of the project (Django's admin and static files excepted)
and, for each of six people, requests it and compares the status with the table below.
A URL pattern without a row fails `test_every_url_pattern_has_a_row`, naming it.

Adding a view = adding one row:

    #                              anonymous  counselor  outsider  prefecture  centre  admin
    "cases:detail":           Row(LOGIN,     200,       404,      404,        200,    200,
                                  factory=case_in_kochi),

- The six columns: anonymous; `counselor` (高知市); `outsider` (a 室戸市 counselor: out of
  scope for everything the factories build); `prefecture_staff`; `center`; `admin_user`
  (with the second factor passed). Each cell is a status code, or LOGIN for "302 to the
  login page". 302 alone means any redirect.
- `factory` (parametrised URLs): a function building one object in 高知市 and returning
  `Target(kwargs=..., secrets=[...])`: the URL kwargs, and strings of that object (a name, a
  case number) that must never appear in a refusal. Every 404 on such a row must leave no
  secret in the body and exactly one DENIED audit row for that user (out of scope = audited
  permission denied, as `accounts.access.deny` does). Every 403 must write one DENIED row
  too (the `accounts.access` view decorators do).
- `method="post"` with `data={...}` for POST-only views (logout, state changes).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditEvent

LOGIN = "LOGIN"
ROLES = ("anonymous", "counselor", "outsider", "prefecture_staff", "center", "admin_user")
EXCLUDED_NAMESPACES = ("admin",)  # Django's admin: staff-only, behind the second factor


@dataclass(frozen=True)
class Target:
    kwargs: dict[str, Any] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    anonymous: int | str
    counselor: int | str
    outsider: int | str
    prefecture_staff: int | str
    center: int | str
    admin_user: int | str
    factory: Callable[[], Target] | None = None
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)

    def expected(self, role: str) -> int | str:
        return getattr(self, role)


# Factories for parametrised URLs: build the object in 高知市 (the `counselor`'s scope).


def case_in_kochi() -> Target:
    from tests.factories import CaseFactory

    case = CaseFactory()
    return Target(kwargs={"pk": case.pk}, secrets=[case.person.name, case.number])


def closed_case_in_kochi() -> Target:
    from cases.models import Case
    from tests.factories import CaseFactory

    case = CaseFactory(status=Case.Status.CLOSED)
    return Target(kwargs={"pk": case.pk}, secrets=[case.person.name, case.number])


def consultation_in_kochi() -> Target:
    from tests.factories import ConsultationFactory

    consultation = ConsultationFactory()
    case = consultation.case
    return Target(
        kwargs={"pk": case.pk, "consultation_pk": consultation.pk},
        secrets=[case.person.name, case.number, consultation.notes],
    )


def member_in_kochi() -> Target:
    from cases.models import Household, HouseholdMember
    from tests.factories import CaseFactory

    case = CaseFactory()
    household, _ = Household.objects.get_or_create(person=case.person)
    member = HouseholdMember.objects.create(
        household=household, relationship="mother", circumstances="母は要介護2"
    )
    return Target(
        kwargs={"pk": case.pk, "member_pk": member.pk},
        secrets=[case.person.name, case.number, member.circumstances],
    )


def resource_in_kochi() -> Target:
    from tests.factories import ResourceFactory

    return Target(kwargs={"pk": ResourceFactory().pk})


def kind_of_a_resource() -> Target:
    from tests.factories import ResourceFactory

    return Target(kwargs={"pk": ResourceFactory().kind_id})


def case_for_referrals() -> Target:
    from tests.factories import CaseFactory

    case = CaseFactory()
    return Target(kwargs={"case_pk": case.pk}, secrets=[case.person.name, case.number])


def referral_in_kochi() -> Target:
    from tests.factories import ReferralFactory

    referral = ReferralFactory()
    return Target(
        kwargs={"pk": referral.pk}, secrets=[referral.case.person.name, referral.case.number]
    )


def employment_in_kochi() -> Target:
    from tests.factories import EmploymentOutcomeFactory

    outcome = EmploymentOutcomeFactory()
    return Target(
        kwargs={"pk": outcome.pk}, secrets=[outcome.case.person.name, outcome.case.number]
    )


def meeting_in_kochi() -> Target:
    from tests.factories import CaseFactory, CaseMeetingFactory

    case = CaseFactory()
    meeting = CaseMeetingFactory()
    meeting.cases.add(case)
    return Target(kwargs={"pk": meeting.pk}, secrets=[meeting.minutes, case.number])


def action_in_kochi() -> Target:
    from tests.factories import CaseMeetingFactory, FollowUpActionFactory

    action = FollowUpActionFactory(meeting=CaseMeetingFactory())
    return Target(kwargs={"pk": action.pk}, secrets=[action.meeting.minutes])


def kochi_city_code() -> Target:
    return Target(kwargs={"code": "392014"})


def kochi_city_status() -> Target:
    return Target(kwargs={"code": "392014", "fy": 2023})


def export_job_of_another_admin() -> Target:
    import datetime as dt

    from django.utils import timezone

    from accounts.models import User
    from exports.models import ExportJob

    other = User.objects.create_user("other-admin", role=User.Role.ADMIN)
    job = ExportJob.objects.create(
        requested_by=other, kind="cases", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    return Target(kwargs={"job_id": job.pk})


def entry_in_kochi() -> Target:
    from tests.factories import SurveyEntryFactory

    entry = SurveyEntryFactory(notes="民生委員から：夜間のみ外出（秘）")
    return Target(kwargs={"pk": entry.pk}, secrets=[entry.name, entry.notes])


def meeting_pk_in_kochi() -> Target:
    from tests.factories import CaseMeetingFactory

    meeting = CaseMeetingFactory()
    return Target(kwargs={"meeting_pk": meeting.pk}, secrets=[meeting.minutes])


def supervision_in_kochi() -> Target:
    from tests.factories import SupervisionRequestFactory

    item = SupervisionRequestFactory()
    return Target(kwargs={"pk": item.pk}, secrets=[item.question])


def accepted_supervision_in_kochi() -> Target:
    import datetime as dt

    from tests.factories import SupervisionRequestFactory

    item = SupervisionRequestFactory(
        status="accepted", body="center", supervisor_name="山本", accepted_on=dt.date(2023, 6, 25)
    )
    return Target(kwargs={"pk": item.pk}, secrets=[item.question])


def training_in_kochi() -> Target:
    from tests.factories import TrainingEventFactory

    return Target(kwargs={"pk": TrainingEventFactory().pk})


def plan_in_kochi() -> Target:
    from tests.factories import PlanGoalFactory

    goal = PlanGoalFactory(plan__policy="（秘）父の飲酒について")
    case = goal.plan.case
    return Target(kwargs={"pk": goal.plan.pk}, secrets=[case.number, goal.plan.policy])


def goal_in_kochi() -> Target:
    from tests.factories import PlanGoalFactory

    goal = PlanGoalFactory(goal="母と買い物に行く（秘）")
    return Target(
        kwargs={"pk": goal.plan.pk, "goal_pk": goal.pk}, secrets=[goal.plan.case.number, goal.goal]
    )


def assessment_in_kochi() -> Target:
    from tests.factories import AssessmentFactory

    a = AssessmentFactory(summary="（秘）自傷の訴えあり")
    return Target(kwargs={"pk": a.pk}, secrets=[a.case.number, a.summary])


def review_in_kochi() -> Target:
    import datetime as dt

    from casework.models import Review
    from tests.factories import SupportPlanFactory

    plan = SupportPlanFactory()
    review = Review.objects.create(
        plan=plan, case=plan.case, reviewed_on=plan.drafted_on + dt.timedelta(days=30),
        due_on=plan.next_review_on, on_time=True, notes="（秘）外出が増えた",
    )  # fmt: skip
    return Target(kwargs={"pk": review.pk}, secrets=[plan.case.number, review.notes])


def consent_in_kochi() -> Target:
    from tests.factories import ConsentFactory

    consent = ConsentFactory(shared_with="（秘）〇〇病院")
    return Target(kwargs={"pk": consent.pk}, secrets=[consent.case.number, consent.shared_with])


# fmt: off
TABLE: dict[str, Row] = {
    #                                anonymous counselor outsider prefecture center admin
    "home":                      Row(LOGIN,    200,      200,     200,       200,   200),
    "healthz":                   Row(200,      200,      200,     200,       200,   200),
    # Operators' health: no worker runs in the tests, so it reports 503 to everyone.
    "healthz_ops":               Row(503,      503,      503,     503,       503,   503),
    "set_language":              Row(302,      302,      302,     302,       302,   302,
                                     method="post", data={"language": "ja", "next": "/"}),
    "accounts:login":            Row(200,      302,      302,     302,       302,   302),
    "accounts:logout":           Row(LOGIN,    302,      302,     302,       302,   302,
                                     method="post"),
    # 「ログインを続ける」 (the idle-timeout warning): renews the session.
    "accounts:keepalive":        Row(LOGIN,    200,      200,     200,       200,   200,
                                     method="post"),
    "accounts:password_change":  Row(LOGIN,    200,      200,     200,       200,   200),
    "accounts:password_change_done":
                                 Row(LOGIN,    200,      200,     200,       200,   200),
    "accounts:otp_settings":     Row(LOGIN,    200,      200,     200,       200,   200),
    "accounts:otp_enrol":        Row(LOGIN,    200,      200,     200,       200,   200),
    "accounts:preferences":      Row(LOGIN,    200,      200,     200,       200,   200),
    # Nothing to verify once the second factor is passed (or not due): back to home.
    "accounts:otp_verify":       Row(LOGIN,    302,      302,     302,       302,   302),
    # Without the password the form is shown again (200); admins may not disable (302).
    "accounts:otp_disable":      Row(LOGIN,    200,      200,     200,       200,   302,
                                     method="post"),
    "audit:list":                Row(LOGIN,    403,      403,     403,       403,   200),
    "audit:export":              Row(LOGIN,    403,      403,     403,       403,   200),
    # Cases: personal data. Out of scope is 404 (audited), prefecture staff are refused (403).
    "cases:list":                Row(LOGIN,    200,      200,     403,       200,   200),
    "cases:intake":              Row(LOGIN,    200,      200,     403,       200,   200),
    "cases:detail":              Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:edit":                Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:close":               Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:print":               Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:household_print":     Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:suspend":             Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:reopen":              Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=closed_case_in_kochi),
    # An empty record form: refused with the errors shown (200), nothing saved.
    "cases:consultation_create": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi, method="post"),
    "cases:consultation_edit":   Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=consultation_in_kochi),
    "cases:member_add":          Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    # Corrections (取消): the confirm-with-a-reason page; a non-recorder sees the refusal.
    "cases:void":                Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "cases:consultation_void":   Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=consultation_in_kochi),
    "cases:member_edit":         Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=member_in_kochi),
    "cases:member_remove":       Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=member_in_kochi),
    # Referrals: the resource directory holds no personal data (everyone logged in); the
    # rest follows the case's scope, and prefecture staff are refused personal pages.
    "referrals:resource_list":   Row(LOGIN,    200,      200,     200,       200,   200),
    "referrals:resource_detail": Row(LOGIN,    200,      200,     200,       200,   200,
                                     factory=resource_in_kochi),
    "referrals:follow_up":       Row(LOGIN,    200,      200,     403,       200,   200),
    "referrals:case_referrals":  Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_for_referrals),
    "referrals:referral_create": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_for_referrals),
    "referrals:referral_detail": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=referral_in_kochi),
    "referrals:referral_transition":
                                 Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=referral_in_kochi, method="post",
                                     data={"action": "arrange", "on": "2023-07-01",
                                           "version": 1}),
    "referrals:referral_note_add":
                                 Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=referral_in_kochi, method="post",
                                     data={"date": "2023-07-01", "text": "見学に同行"}),
    "referrals:employment_create":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_for_referrals),
    "referrals:employment_edit": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=employment_in_kochi),
    "referrals:employment_void": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=employment_in_kochi),
    # A referral with no step after the proposal: back to it with a message.
    "referrals:referral_undo":   Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=referral_in_kochi),
    # Re-judging K4 on purpose: whoever may edit the outcome; back to the case (302).
    "referrals:employment_rejudge":
                                 Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=employment_in_kochi, method="post",
                                     data={"version": 1}),
    # Configuration history (what a kind counts as, a resource's kind): admins only.
    "referrals:kind_settings_change":
                                 Row(LOGIN,    403,      403,     403,       403,   200,
                                     factory=kind_of_a_resource),
    "referrals:resource_kind_change":
                                 Row(LOGIN,    403,      403,     403,       403,   200,
                                     factory=resource_in_kochi),
    # Platforms: meetings follow the municipality's scope; minutes never reach prefecture
    # staff. The overview and municipality pages are counts for the prefecture-level roles.
    "platforms:meeting_list":    Row(LOGIN,    200,      200,     403,       200,   200),
    # One municipality in scope skips the first step (choose a municipality): a redirect.
    "platforms:meeting_create":  Row(LOGIN,    302,      302,     403,       200,   200),
    "platforms:meeting_detail":  Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=meeting_in_kochi),
    "platforms:meeting_edit":    Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=meeting_in_kochi),
    "platforms:meeting_print":   Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=meeting_in_kochi),
    "platforms:action_create":   Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=meeting_in_kochi, method="post",
                                     data={"description": "家族会を紹介する"}),
    "platforms:action_complete": Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=action_in_kochi, method="post"),
    "platforms:overview":        Row(LOGIN,    403,      403,     200,       200,   200),
    "platforms:municipality_detail":
                                 Row(LOGIN,    403,      403,     200,       200,   200,
                                     factory=kochi_city_code),
    "platforms:platform_edit":   Row(LOGIN,    403,      403,     403,       200,   200,
                                     factory=kochi_city_code),
    "platforms:status_edit":     Row(LOGIN,    403,      403,     403,       200,   200,
                                     factory=kochi_city_status),
    # The dashboard: every role sees the aggregates of its own scope.
    "kpi:dashboard":             Row(LOGIN,    200,      200,     200,       200,   200),
    # Its workbook: the same aggregates, for the same people (each their own default scope).
    "kpi:workbook":              Row(LOGIN,    200,      200,     200,       200,   200),
    # 年度確定: the centre and admins close a year of their scope; only admins reopen one.
    # (A refused year comes back to the dashboard with its message: a redirect.)
    "kpi:year_close":            Row(LOGIN,    403,      403,     403,       302,   302,
                                     method="post", data={"fy": "2023", "scope": "pref"}),
    "kpi:year_reopen":           Row(LOGIN,    403,      403,     403,       403,   302,
                                     method="post", data={"fy": "2023", "scope": "pref",
                                                          "reason": "訂正のため"}),
    # Exports are for admins; a job's file only for the admin who asked for it.
    "exports:index":             Row(LOGIN,    403,      403,     403,       403,   200),
    "exports:start":             Row(LOGIN,    403,      403,     403,       403,   200,
                                     method="post", data={"kind": "referrals"}),
    # Jobs (exports and ledger imports) only for their requester: 404 to anyone else who may
    # have jobs, 403 to prefecture staff (who may neither export nor import).
    "exports:job":               Row(LOGIN,    404,      404,     403,       404,   404,
                                     factory=export_job_of_another_admin),
    "exports:job_status":        Row(LOGIN,    404,      404,     403,       404,   404,
                                     factory=export_job_of_another_admin),
    "exports:job_download":      Row(LOGIN,    404,      404,     403,       404,   404,
                                     factory=export_job_of_another_admin),
    "exports:ledger_upload":     Row(LOGIN,    200,      200,     403,       200,   200),
    "exports:ledger_template":   Row(LOGIN,    200,      200,     403,       200,   200),
    # Without a previewed upload in the session: back to the upload page.
    "exports:ledger_confirm":    Row(LOGIN,    302,      302,     403,       302,   302,
                                     method="post", data={"token": "x"}),
    "exports:ledger_history":    Row(LOGIN,    200,      200,     403,       200,   200),
    "programme:entry_list":      Row(LOGIN,    200,      200,     403,       200,   200),
    "programme:entry_create":    Row(LOGIN,    200,      200,     403,       200,   200),
    "programme:entry_detail":    Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=entry_in_kochi),
    "programme:outreach_create": Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=entry_in_kochi, method="post",
                                     data={"date": "2023-07-01", "method": "visit",
                                           "outcome": "absent"}),
    "programme:entry_close":     Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=entry_in_kochi, method="post",
                                     data={"closed_on": "2023-07-01", "reason": "転居"}),
    "programme:entry_open_case": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=entry_in_kochi),
    "programme:supervision_list":
                                 Row(LOGIN,    200,      200,     403,       200,   200),
    "programme:supervision_create_meeting":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=meeting_pk_in_kochi),
    "programme:supervision_create_case":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=lambda: Target(
                                         kwargs={"case_pk": case_in_kochi().kwargs["pk"]})),
    "programme:supervision_detail":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=supervision_in_kochi),
    # Only the centre (or a 福祉保健所 counselor of the area) accepts and answers.
    "programme:supervision_accept":
                                 Row(LOGIN,    403,      404,     403,       302,   302,
                                     factory=supervision_in_kochi, method="post",
                                     data={"version": 1, "accepted_on": "2023-06-25",
                                           "body": "center", "supervisor_name": "山本"}),
    "programme:supervision_give":
                                 Row(LOGIN,    403,      404,     403,       302,   302,
                                     factory=accepted_supervision_in_kochi, method="post",
                                     data={"version": 1, "given_on": "2023-07-01",
                                           "advice": "家族面談を続ける"}),
    "programme:supervision_close":
                                 Row(LOGIN,    302,      404,     403,       302,   302,
                                     factory=supervision_in_kochi, method="post",
                                     data={"version": 1, "to": "withdrawn", "reason": "不要"}),
    "programme:training_list":   Row(LOGIN,    200,      200,     200,       200,   200),
    "programme:training_create": Row(LOGIN,    403,      403,     403,       200,   200),
    "programme:training_detail": Row(LOGIN,    200,      200,     200,       200,   200,
                                     factory=training_in_kochi),
    "programme:attendance_set":  Row(LOGIN,    403,      403,     403,       302,   302,
                                     factory=training_in_kochi, method="post",
                                     data={"agency": "社会福祉協議会", "attendees": 3}),
    "programme:publicity_list":  Row(LOGIN,    200,      200,     200,       200,   200),
    "programme:publicity_create":
                                 Row(LOGIN,    403,      403,     403,       200,   200),
    "programme:support_list":    Row(LOGIN,    200,      200,     200,       200,   200),
    # Casework: the case's scope (outsider 404 audited, prefecture staff 403).
    "casework:assessment_create":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "casework:assessment_detail":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=assessment_in_kochi),
    "casework:plan_create":      Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "casework:plan_detail":      Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    "casework:plan_edit":        Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    "casework:goal_add":         Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    "casework:goal_edit":        Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=goal_in_kochi),
    "casework:plan_decide":      Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    # A draft plan cannot be revised: the form, with the service's refusal (200).
    "casework:plan_revise":      Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    "casework:plan_end":         Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    "casework:review_create":    Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=plan_in_kochi),
    "casework:review_detail":    Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=review_in_kochi),
    "casework:consent_create":   Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "casework:consent_withdraw": Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=consent_in_kochi),
    "casework:contacts":         Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "casework:contact_edit":     Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=case_in_kochi),
    "casework:member_contact_edit":
                                 Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=member_in_kochi),
    "casework:meeting_bases":    Row(LOGIN,    200,      404,     403,       200,   200,
                                     factory=meeting_in_kochi),
}
# fmt: on


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str | None = None
) -> Iterator[tuple[str | None, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = ":".join(n for n in (namespace, inner) if n) if inner else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), full)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, prefix + str(pattern.pattern)


def project_urls() -> dict[str | None, list[str]]:
    """Every URL pattern name (None for unnamed ones) with its route(s)."""
    found: dict[str | None, list[str]] = {}
    static = settings.STATIC_URL.lstrip("/")
    for name, route in _walk(get_resolver().url_patterns):
        if name and name.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        if route.startswith(("admin/", static)):
            continue
        found.setdefault(name, []).append(route)
    return found


def test_every_url_pattern_has_a_row() -> None:
    urls = project_urls()
    unnamed = urls.get(None, [])
    assert not unnamed, f"Unnamed URL patterns cannot be checked; name them: {unnamed}"
    missing = sorted(name for name in urls if name and name not in TABLE)
    assert not missing, (
        "URL patterns missing from the access table in tests/test_url_access.py (add a row "
        "saying what each role gets): "
        + ", ".join(f"{name} ({', '.join(urls[name])})" for name in missing)
    )


def test_every_row_is_a_url_pattern() -> None:
    stale = sorted(set(TABLE) - set(project_urls()))
    assert not stale, f"Rows for URL names that no longer exist: {stale}"


def check_outcome(
    *,
    expected: int | str,
    response: HttpResponse,
    secrets: list[str],
    denied_rows: int,
    label: str,
) -> None:
    """The assertions for one request; `denied_rows`: DENIED audit rows it wrote."""
    status = response.status_code
    if expected == LOGIN and status == 200 and label.startswith("POST"):
        # A POST without a session gets the login page itself, carrying the form
        # (accounts/resume.py; tests/accounts/test_session_expiry_resume.py).
        assert "accounts/login.html" in [t.name for t in response.templates], label
    elif expected == LOGIN:
        assert status == 302, f"{label}: expected a redirect to login, got {status}"
        login_url = reverse(settings.LOGIN_URL)
        assert response["Location"].startswith(login_url), (
            f"{label}: redirected to {response['Location']}, not to the login page"
        )
    else:
        assert status == expected, f"{label}: expected {expected}, got {status}"
    if status == 403:
        assert denied_rows == 1, (
            f"{label}: a refusal by role must be audited (one DENIED row, "
            f"accounts.access decorators), found {denied_rows}"
        )
    if status == 404 and secrets:
        body = response.content.decode(errors="replace")
        leaked = [s for s in secrets if s and s in body]
        assert not leaked, f"{label}: the refusal shows data of the record: {leaked}"
        assert denied_rows == 1, (
            f"{label}: an out-of-scope request must be audited as permission denied "
            f"(one DENIED row), found {denied_rows}"
        )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(TABLE))
@pytest.mark.django_db
def test_access(request, client, login, kochi, name: str, role: str) -> None:
    row = TABLE[name]
    user = None if role == "anonymous" else request.getfixturevalue(role)
    target = row.factory() if row.factory else Target()
    browser: Client = client if user is None else login(user)
    url = reverse(name, kwargs=target.kwargs)
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, user=user)
    denied_before = denied.count()
    response = getattr(browser, row.method)(url, row.data)
    check_outcome(
        expected=row.expected(role),
        response=response,
        secrets=target.secrets,
        denied_rows=denied.count() - denied_before,
        label=f"{row.method.upper()} {url} as {role}",
    )


# The checker itself: it must catch what it is there to catch.


def test_checker_catches_a_leaking_404() -> None:
    leaky = HttpResponse("高知 太郎 さんのケースは見られません", status=404)
    with pytest.raises(AssertionError, match="shows data of the record"):
        check_outcome(expected=404, response=leaky, secrets=["高知 太郎"], denied_rows=1, label="x")


def test_checker_catches_an_unaudited_403() -> None:
    quiet = HttpResponse("forbidden", status=403)
    with pytest.raises(AssertionError, match="refusal by role must be audited"):
        check_outcome(expected=403, response=quiet, secrets=[], denied_rows=0, label="x")


def test_checker_catches_an_unaudited_404() -> None:
    quiet = HttpResponse("not found", status=404)
    with pytest.raises(AssertionError, match="audited as permission denied"):
        check_outcome(expected=404, response=quiet, secrets=["高知 太郎"], denied_rows=0, label="x")


def test_checker_catches_a_redirect_elsewhere_than_login() -> None:
    elsewhere = HttpResponse(status=302)
    elsewhere["Location"] = "/somewhere/"
    with pytest.raises(AssertionError, match="not to the login page"):
        check_outcome(expected=LOGIN, response=elsewhere, secrets=[], denied_rows=0, label="x")
