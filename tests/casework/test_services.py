"""The casework rules and state changes, through the services."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from cases.models import Case
from casework import services
from casework.models import (
    Assessment,
    AssessmentDomain,
    Consent,
    MeetingCaseBasis,
    ProgressStep,
    Review,
    SupportPlan,
    SupportStage,
)
from casework.selectors import casework_figures
from core.models import Municipality
from kpi.scopes import scope_from_token
from platforms.models import CaseMeeting
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    ConsentFactory,
    PersonFactory,
    PlanGoalFactory,
    ReferralFactory,
    SupportPlanFactory,
)

D = dt.date


def stage(code: str) -> SupportStage:
    return SupportStage.objects.get(code=code)


def _plan_input(**kw) -> services.PlanInput:
    return services.PlanInput(
        drafted_on=kw.get("drafted_on", D(2023, 6, 10)),
        next_review_on=kw.get("next_review_on", D(2023, 9, 10)),
    )


def _review(plan: SupportPlan, on: dt.date, st: SupportStage | None, **kw) -> Review:
    return services.review_record(
        user=kw.pop("user"),
        plan=plan,
        data=services.ReviewInput(
            reviewed_on=on,
            next_review_on=kw.get("next_review_on", on + dt.timedelta(days=90)),
            stage=st,
            evaluations={g.pk: ("partly", "") for g in plan.goals.all()},
        ),
        closing=kw.get("closing", False),
    )


def _decided_plan(counselor, case=None, meeting_kind=CaseMeeting.Kind.SUPPORT) -> SupportPlan:
    goal = PlanGoalFactory(plan__case=case or CaseFactory())
    plan = goal.plan
    meeting = CaseMeetingFactory(kind=meeting_kind, held_on=plan.drafted_on + dt.timedelta(days=3))
    meeting.cases.add(plan.case)
    return services.plan_decide(user=counselor, plan=plan, version=plan.version, meeting=meeting)


# --- Assessment ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assessment_records_domains_and_audits(counselor) -> None:
    case = CaseFactory()
    life = AssessmentDomain.objects.get(code="life")
    a = services.assessment_record(
        user=counselor,
        case=case,
        data=services.AssessmentInput(
            assessed_on=D(2023, 6, 5), kind="intake", urgency="high", risks=("8050",),
            situations={life.pk: "昼夜逆転"},
        ),
    )  # fmt: skip
    assert a.situations.get().domain == life
    assert a.risk_labels() == ["8050（親の高齢化・介護）"]
    assert AuditEvent.objects.filter(
        object_type="casework.assessment", object_id=str(a.pk)
    ).exists()


@pytest.mark.django_db
def test_assessment_before_intake_is_refused(counselor) -> None:
    case = CaseFactory()
    with pytest.raises(ValidationError) as error:
        services.assessment_record(
            user=counselor,
            case=case,
            data=services.AssessmentInput(
                assessed_on=D(2023, 5, 1), kind="intake", urgency="low", summary="x"
            ),
        )
    assert "assessed_on" in error.value.error_dict
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_assessment_of_another_municipality_is_refused(outsider) -> None:
    with pytest.raises(PermissionDenied):
        services.assessment_record(
            user=outsider,
            case=CaseFactory(),
            data=services.AssessmentInput(
                assessed_on=D(2023, 6, 5), kind="intake", urgency="low", summary="x"
            ),
        )


@pytest.mark.django_db
def test_void_keeps_the_assessment_with_who_and_why(counselor) -> None:
    from tests.factories import AssessmentFactory

    a = AssessmentFactory(assessor=counselor)
    services.assessment_void(user=counselor, assessment=a, reason="別のケースと取り違えた")
    a.refresh_from_db()
    assert a.is_voided and a.voided_by == counselor and a.void_reason == "別のケースと取り違えた"
    with pytest.raises(ValidationError):
        services.assessment_void(user=counselor, assessment=a, reason="二度目")


@pytest.mark.django_db
def test_void_needs_a_reason(counselor) -> None:
    from tests.factories import AssessmentFactory

    a = AssessmentFactory(assessor=counselor)
    with pytest.raises(ValidationError):
        services.assessment_void(user=counselor, assessment=a, reason="  ")
    a.refresh_from_db()
    assert not a.is_voided


# --- Plan ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_review_date_before_the_plan_is_refused(counselor) -> None:
    case = CaseFactory()
    with pytest.raises(ValidationError) as error:
        services.plan_create(
            user=counselor, case=case, data=_plan_input(next_review_on=D(2023, 6, 1))
        )
    assert "next_review_on" in error.value.error_dict
    assert not SupportPlan.objects.exists()


@pytest.mark.django_db
def test_one_current_plan_per_case(counselor) -> None:
    case = CaseFactory()
    services.plan_create(user=counselor, case=case, data=_plan_input())
    with pytest.raises(ValidationError):
        services.plan_create(user=counselor, case=case, data=_plan_input())
    assert case.plans.count() == 1


@pytest.mark.django_db
def test_goal_period_ending_before_it_starts_is_refused(counselor) -> None:
    plan = SupportPlanFactory()
    with pytest.raises(ValidationError) as error:
        services.goal_save(
            user=counselor,
            plan=plan,
            data=services.GoalInput(
                term="short", goal="居場所に通う", starts_on=D(2023, 8, 1), ends_on=D(2023, 7, 1)
            ),
        )
    assert "ends_on" in error.value.error_dict
    assert not plan.goals.exists()


@pytest.mark.django_db
def test_goal_links_only_the_cases_referrals(counselor) -> None:
    plan = SupportPlanFactory()
    other = ReferralFactory()
    with pytest.raises(ValidationError):
        services.goal_save(
            user=counselor,
            plan=plan,
            data=services.GoalInput(
                term="short", goal="居場所", starts_on=plan.drafted_on, ends_on=plan.next_review_on,
                referrals=(other,),
            ),
        )  # fmt: skip
    mine = ReferralFactory(case=plan.case)
    goal = services.goal_save(
        user=counselor,
        plan=plan,
        data=services.GoalInput(
            term="short", goal="居場所", starts_on=plan.drafted_on, ends_on=plan.next_review_on,
            referrals=(mine,),
        ),
    )  # fmt: skip
    assert list(goal.referrals.all()) == [mine]


@pytest.mark.django_db
def test_decision_names_the_meeting_and_the_meeting_lists_the_plan(counselor) -> None:
    plan = _decided_plan(counselor)
    assert plan.status == SupportPlan.Status.DECIDED
    assert plan.decided_on == plan.decided_meeting.held_on
    assert list(plan.decided_meeting.decided_plans.all()) == [plan]


@pytest.mark.django_db
def test_decision_by_another_municipalitys_meeting_is_refused(counselor) -> None:
    goal = PlanGoalFactory()
    plan = goal.plan
    muroto = Municipality.objects.get(code="392022")
    meeting = CaseMeetingFactory(municipality=muroto, kind=CaseMeeting.Kind.SUPPORT)
    with pytest.raises(ValidationError) as error:
        services.plan_decide(user=counselor, plan=plan, version=plan.version, meeting=meeting)
    assert "meeting" in error.value.error_dict
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.DRAFT and plan.decided_meeting is None


@pytest.mark.django_db
def test_decision_needs_a_support_or_jusoteki_meeting_that_discussed_the_case(counselor) -> None:
    plan = PlanGoalFactory().plan
    individual = CaseMeetingFactory(kind=CaseMeeting.Kind.INDIVIDUAL, held_on=D(2023, 7, 1))
    individual.cases.add(plan.case)
    with pytest.raises(ValidationError):
        services.plan_decide(user=counselor, plan=plan, version=plan.version, meeting=individual)
    not_on_it = CaseMeetingFactory(kind=CaseMeeting.Kind.JUSOTEKI, held_on=D(2023, 7, 1))
    with pytest.raises(ValidationError):
        services.plan_decide(user=counselor, plan=plan, version=plan.version, meeting=not_on_it)
    not_on_it.cases.add(plan.case)
    plan = services.plan_decide(user=counselor, plan=plan, version=plan.version, meeting=not_on_it)
    assert plan.status == SupportPlan.Status.DECIDED


@pytest.mark.django_db
def test_stale_decision_is_refused(counselor) -> None:
    from core.concurrency import StaleEdit

    plan = PlanGoalFactory().plan
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.SUPPORT, held_on=D(2023, 7, 1))
    meeting.cases.add(plan.case)
    with pytest.raises(StaleEdit):
        services.plan_decide(user=counselor, plan=plan, version=plan.version + 5, meeting=meeting)


@pytest.mark.django_db
def test_decided_plan_is_not_edited_but_revised_into_a_new_version(counselor) -> None:
    plan = _decided_plan(counselor)
    referral = ReferralFactory(case=plan.case)
    services.goal_link_referrals(user=counselor, goal=plan.goals.get(), referrals=[referral])
    with pytest.raises(ValidationError):
        services.plan_update(user=counselor, plan=plan, version=plan.version, data=_plan_input())
    new = services.plan_revise(
        user=counselor, plan=plan, version=plan.version, on=D(2023, 9, 1),
        next_review_on=D(2023, 12, 1),
    )  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.REVISED
    assert (new.number, new.status, new.previous) == (2, SupportPlan.Status.DRAFT, plan)
    assert list(new.goals.get().referrals.all()) == [referral]
    assert new.decided_meeting is None  # the new version waits for its own decision


@pytest.mark.django_db
def test_plan_end(counselor) -> None:
    plan = _decided_plan(counselor)
    plan = services.plan_end(user=counselor, plan=plan, version=plan.version, on=D(2023, 10, 1))
    assert (plan.status, plan.ended_on) == (SupportPlan.Status.ENDED, D(2023, 10, 1))


# --- Review and stages -----------------------------------------------------------------------


@pytest.mark.django_db
def test_review_before_the_plan_is_refused(counselor) -> None:
    plan = _decided_plan(counselor)
    with pytest.raises(ValidationError) as error:
        _review(plan, plan.drafted_on - dt.timedelta(days=1), None, user=counselor)
    assert "reviewed_on" in error.value.error_dict
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_review_needs_every_goal_evaluated(counselor) -> None:
    plan = _decided_plan(counselor)
    with pytest.raises(ValidationError):
        services.review_record(
            user=counselor,
            plan=plan,
            data=services.ReviewInput(reviewed_on=D(2023, 8, 1), next_review_on=D(2023, 11, 1)),
        )


@pytest.mark.django_db
def test_review_sets_the_next_date_and_judges_on_time(counselor) -> None:
    plan = _decided_plan(counselor)
    due = plan.next_review_on
    first = _review(plan, due, stage("family_support"), user=counselor)
    plan.refresh_from_db()
    assert first.on_time and first.due_on == due
    assert plan.next_review_on == due + dt.timedelta(days=90)
    late = _review(plan, plan.next_review_on + dt.timedelta(days=1), None, user=counselor)
    assert not late.on_time


@pytest.mark.django_db
def test_stage_moves_forward_only_after_an_earlier_stage(counselor) -> None:
    plan = _decided_plan(counselor)
    first = _review(plan, D(2023, 7, 10), stage("family_support"), user=counselor)
    second = _review(plan, D(2023, 8, 10), stage("individual"), user=counselor)
    same = _review(plan, D(2023, 9, 10), stage("individual"), user=counselor)
    back = _review(plan, D(2023, 10, 10), stage("family_support"), user=counselor)
    assert [first.moved_forward, second.moved_forward, same.moved_forward, back.moved_forward] == [
        False,
        True,
        False,
        False,
    ]


@pytest.mark.django_db
def test_stage_movement_counts_once_per_person_and_year(counselor) -> None:
    person = PersonFactory()
    plan = _decided_plan(counselor, case=CaseFactory(person=person))
    _review(plan, D(2023, 7, 10), stage("family_support"), user=counselor)
    _review(plan, D(2023, 8, 10), stage("individual"), user=counselor)
    _review(plan, D(2023, 9, 10), stage("group"), user=counselor)  # a second step, same year
    # The same person's second case in the year does not count them again.
    other = _decided_plan(counselor, case=CaseFactory(person=person, intake_date=D(2023, 6, 1)))
    _review(other, D(2023, 10, 10), stage("participation"), user=counselor)
    kochi = scope_from_token("392014")
    figures = casework_figures(kochi, D(2023, 4, 1), D(2024, 3, 31))
    assert figures["stage_forward"] == 1
    assert figures["reviews"] == 4
    # Next year: no movement yet.
    assert casework_figures(kochi, D(2024, 4, 1), D(2025, 3, 31))["stage_forward"] == 0


@pytest.mark.django_db
def test_open_cases_with_a_decided_plan(counselor) -> None:
    _decided_plan(counselor)
    SupportPlanFactory()  # never decided
    closed = _decided_plan(counselor)
    Case.objects.filter(pk=closed.case_id).update(
        status=Case.Status.CLOSED, closed_on=D(2023, 12, 1), status_changed_on=D(2023, 12, 1)
    )
    q = scope_from_token("392014")
    assert casework_figures(q, D(2023, 4, 1), D(2023, 11, 30))["open_with_plan"] == 2
    assert casework_figures(q, D(2023, 4, 1), D(2024, 3, 31))["open_with_plan"] == 1


@pytest.mark.django_db
def test_closing_review_ends_the_plan(counselor) -> None:
    plan = _decided_plan(counselor)
    review = services.review_record(
        user=counselor,
        plan=plan,
        data=services.ReviewInput(
            reviewed_on=D(2023, 9, 1), next_review_on=None, stage=stage("group"),
            steps=tuple(ProgressStep.objects.filter(code="outings")),
            evaluations={g.pk: ("achieved", "") for g in plan.goals.all()},
        ),
        closing=True,
    )  # fmt: skip
    plan.refresh_from_db()
    assert review.closing and plan.status == SupportPlan.Status.ENDED
    assert [s.code for s in review.steps.all()] == ["outings"]


# --- Consent and basis -----------------------------------------------------------------------


@pytest.mark.django_db
def test_consent_ending_before_it_begins_is_refused(counselor) -> None:
    case = CaseFactory()
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            user=counselor,
            case=case,
            data=services.ConsentInput(
                given_by="family", method="oral", valid_from=D(2023, 6, 1),
                valid_until=D(2023, 5, 1), agency_kinds=("shakyo",),
            ),
        )  # fmt: skip
    assert "valid_until" in error.value.error_dict
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_withdrawn_consent_is_no_longer_on_file(counselor) -> None:
    consent = ConsentFactory()
    assert services.consent_on_file(consent.case, D(2023, 8, 1)) == consent
    services.consent_withdraw(user=counselor, consent=consent, on=D(2023, 7, 1))
    assert services.consent_on_file(consent.case, D(2023, 8, 1)) is None
    assert services.consent_on_file(consent.case, D(2023, 6, 15)) == consent


@pytest.mark.django_db
def test_jusoteki_meeting_without_consent_warns_before_saving(counselor) -> None:
    case = CaseFactory()
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.JUSOTEKI)
    meeting.cases.add(case)
    rows = [services.BasisInput(case=case, basis="consent")]
    assert services.missing_consent_warnings(meeting, [case]) == [case]
    with pytest.raises(ValidationError) as error:
        services.meeting_bases_save(user=counselor, meeting=meeting, rows=rows)
    assert "confirm_missing_consent" in error.value.error_dict
    assert not MeetingCaseBasis.objects.exists()
    services.meeting_bases_save(
        user=counselor, meeting=meeting, rows=rows, confirmed_missing_consent=True
    )
    assert MeetingCaseBasis.objects.get().basis == "consent"


@pytest.mark.django_db
def test_basis_with_consent_on_file_links_it(counselor) -> None:
    consent = ConsentFactory()
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.INDIVIDUAL)
    meeting.cases.add(consent.case)
    assert services.missing_consent_warnings(meeting, [consent.case]) == []
    services.meeting_bases_save(
        user=counselor,
        meeting=meeting,
        rows=[services.BasisInput(case=consent.case, basis="consent")],
    )
    assert MeetingCaseBasis.objects.get().consent == consent


@pytest.mark.django_db
def test_article_106_6_basis_only_at_a_support_meeting(counselor) -> None:
    case = CaseFactory()
    individual = CaseMeetingFactory(kind=CaseMeeting.Kind.INDIVIDUAL)
    individual.cases.add(case)
    with pytest.raises(ValidationError):
        services.meeting_bases_save(
            user=counselor,
            meeting=individual,
            rows=[services.BasisInput(case=case, basis="support_meeting")],
        )
    support = CaseMeetingFactory(kind=CaseMeeting.Kind.SUPPORT)
    support.cases.add(case)
    services.meeting_bases_save(
        user=counselor, meeting=support,
        rows=[services.BasisInput(case=case, basis="support_meeting")],
    )  # fmt: skip
    assert services.missing_consent_warnings(support, [case]) == []


@pytest.mark.django_db
def test_other_statute_needs_its_name(counselor) -> None:
    case = CaseFactory()
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.INDIVIDUAL)
    meeting.cases.add(case)
    with pytest.raises(ValidationError):
        services.meeting_bases_save(
            user=counselor, meeting=meeting, rows=[services.BasisInput(case=case, basis="statute")]
        )
    services.meeting_bases_save(
        user=counselor, meeting=meeting,
        rows=[services.BasisInput(case=case, basis="statute", statute="児童福祉法第25条の2")],
    )  # fmt: skip
    assert MeetingCaseBasis.objects.get().statute == "児童福祉法第25条の2"


# --- Contact details -------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_details_with_optimistic_locking(counselor, colleague) -> None:
    from core.concurrency import StaleEdit

    case = CaseFactory()
    first = services.contact_save(
        user=counselor, case=case, version=None,
        values={"phone": "088-000-0000", "caution": "本人に知られないように"},
    )  # fmt: skip
    services.contact_save(
        user=colleague, case=case, version=first.version, values={"phone": "088-111-1111"}
    )
    with pytest.raises(StaleEdit):
        services.contact_save(
            user=counselor, case=case, version=first.version, values={"phone": "x"}
        )
    first.refresh_from_db()
    assert first.phone == "088-111-1111"
    assert AuditEvent.objects.filter(object_type="casework.contactdetail").count() == 2


@pytest.mark.django_db
def test_void_follows_the_rules_of_every_record(counselor, colleague, center) -> None:
    """Another counselor may not void it; the centre may, and the void is audited as one."""
    from tests.factories import AssessmentFactory

    a = AssessmentFactory(assessor=colleague)
    with pytest.raises(PermissionDenied):
        services.assessment_void(user=counselor, assessment=a, reason="取り違えた")
    services.assessment_void(user=center, assessment=a, reason="取り違えた")
    assert AuditEvent.objects.filter(object_type="casework.assessment", action="void").exists()
