"""The casework pages through the client: forms, messages next to fields, what the case and
meeting pages show."""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from casework import services
from casework.models import Assessment, Consent, MeetingCaseBasis, Review, SupportPlan
from platforms.models import CaseMeeting
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    ConsentFactory,
    PlanGoalFactory,
    ReferralFactory,
)

D = dt.date
pytestmark = pytest.mark.django_db


def _decided(counselor):
    goal = PlanGoalFactory()
    plan = goal.plan
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.SUPPORT, held_on=D(2023, 7, 1))
    meeting.cases.add(plan.case)
    return services.plan_decide(user=counselor, plan=plan, version=plan.version, meeting=meeting)


def test_assessment_form_saves_and_shows_read_only(login, counselor) -> None:
    case = CaseFactory()
    client = login(counselor)
    response = client.post(
        reverse("casework:assessment_create", args=[case.pk]),
        {"assessed_on": "2023-06-05", "kind": "intake", "urgency": "high", "risks": ["abuse"],
         "summary": "母への暴言がある"},
    )  # fmt: skip
    a = Assessment.objects.get()
    assert response.status_code == 302 and response["Location"] == a.get_absolute_url()
    page = client.get(a.get_absolute_url()).content.decode()
    assert "虐待・DV" in page and "母への暴言がある" in page and "取り消す" in page


def test_assessment_before_intake_shows_the_message_next_to_the_field(login, counselor) -> None:
    case = CaseFactory()
    response = login(counselor).post(
        reverse("casework:assessment_create", args=[case.pk]),
        {"assessed_on": "2023-01-05", "kind": "intake", "urgency": "low", "summary": "x"},
    )
    assert response.status_code == 200
    assert "受理日（2023年6月1日）より前の日付は入力できません。" in str(
        response.context["form"]["assessed_on"].errors
    )
    assert not Assessment.objects.exists()


def test_goal_period_error_is_next_to_the_field(login, counselor) -> None:
    plan = PlanGoalFactory().plan
    response = login(counselor).post(
        reverse("casework:goal_add", args=[plan.pk]),
        {"term": "short", "goal": "居場所", "starts_on": "2023-08-01", "ends_on": "2023-07-01"},
    )
    assert response.status_code == 200
    assert "終了予定は、開始以降の日付にしてください。" in str(
        response.context["form"]["ends_on"].errors
    )
    assert plan.goals.count() == 1


def test_decide_with_another_municipalitys_meeting_is_not_offered_and_refused(
    login, counselor, muroto
) -> None:
    plan = PlanGoalFactory().plan
    other = CaseMeetingFactory(municipality=muroto, kind=CaseMeeting.Kind.SUPPORT)
    response = login(counselor).post(
        reverse("casework:plan_decide", args=[plan.pk]),
        {"version": plan.version, "meeting": other.pk},
    )
    assert response.status_code == 200 and response.context["form"]["meeting"].errors
    plan.refresh_from_db()
    assert plan.status == SupportPlan.Status.DRAFT


def test_decided_plan_shows_on_the_meeting_page_and_the_case_page(login, counselor) -> None:
    plan = _decided(counselor)
    referral = ReferralFactory(case=plan.case)
    services.goal_link_referrals(user=counselor, goal=plan.goals.get(), referrals=[referral])
    client = login(counselor)
    meeting_page = client.get(plan.decided_meeting.get_absolute_url()).content.decode()
    assert "この会議で決定した支援プラン" in meeting_page
    assert plan.get_absolute_url() in meeting_page
    case_page = client.get(plan.case.get_absolute_url()).content.decode()
    top = case_page[: case_page.index('id="timeline"')]
    assert "週1回、居場所に通う" in top and referral.resource.name in top
    assert "支援会議（社会福祉法第106条の6）で決定" in top


def test_never_decided_plan_is_shown_as_such(login, counselor) -> None:
    plan = PlanGoalFactory().plan
    page = login(counselor).get(plan.case.get_absolute_url()).content.decode()
    assert "会議で未決定" in page


def test_review_form_records_the_stage_and_the_timeline_shows_it(login, counselor) -> None:
    from casework.models import SupportStage

    plan = _decided(counselor)
    goal = plan.goals.get()
    client = login(counselor)
    response = client.post(
        reverse("casework:review_create", args=[plan.pk]),
        {"reviewed_on": "2023-08-01", "next_review_on": "2023-11-01",
         "stage": SupportStage.objects.get(code="group").pk, f"result_{goal.pk}": "partly"},
    )  # fmt: skip
    review = Review.objects.get()
    assert response["Location"] == review.get_absolute_url()
    page = client.get(plan.case.get_absolute_url()).content.decode()
    assert "モニタリング・評価" in page and "集団・居場所" in page


def test_review_before_the_plan_shows_the_message(login, counselor) -> None:
    plan = _decided(counselor)
    goal = plan.goals.get()
    response = login(counselor).post(
        reverse("casework:review_create", args=[plan.pk]),
        {"reviewed_on": "2023-06-01", "next_review_on": "2023-11-01",
         f"result_{goal.pk}": "partly"},
    )  # fmt: skip
    assert "プランの作成日" in str(response.context["form"]["reviewed_on"].errors)
    assert not Review.objects.exists()


def test_closing_the_case_asks_for_the_closing_evaluation(login, counselor) -> None:
    plan = _decided(counselor)
    case = plan.case
    response = login(counselor).post(
        reverse("cases:close", args=[case.pk]),
        {
            "version": case.version,
            "on": "2023-09-01",
            "reason": "居場所に定着し合意のうえ終結",
            "end_reason": "goal_reached",
        },
    )
    assert response["Location"] == reverse("casework:review_create", args=[plan.pk]) + "?closing=1"
    page = login(counselor).get(response["Location"]).content.decode()
    assert "終結時の評価" in page
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_consent_ending_before_it_begins_shows_the_message(login, counselor) -> None:
    case = CaseFactory()
    response = login(counselor).post(
        reverse("casework:consent_create", args=[case.pk]),
        {"given_by": "family", "method": "oral", "agency_kinds": ["shakyo"],
         "valid_from": "2023-06-10", "valid_until": "2023-06-01"},
    )  # fmt: skip
    assert "有効期限は、同意日以降の日付にしてください。" in str(
        response.context["form"]["valid_until"].errors
    )
    assert not Consent.objects.exists()


def test_meeting_basis_form_warns_without_consent_then_saves_when_confirmed(
    login, counselor
) -> None:
    case = CaseFactory()
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.JUSOTEKI)
    meeting.cases.add(case)
    client = login(counselor)
    url = reverse("casework:meeting_bases", args=[meeting.pk])
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "有効な同意が記録されていないケースがあります" in page
    response = client.post(url, {f"basis_{case.pk}": "consent"})
    assert response.status_code == 200
    assert case.number in str(response.context["form"]["confirm_missing_consent"].errors)
    assert not MeetingCaseBasis.objects.exists()
    response = client.post(url, {f"basis_{case.pk}": "consent", "confirm_missing_consent": "on"})
    assert response.status_code == 302
    assert MeetingCaseBasis.objects.get().case == case


def test_consent_shows_on_the_case_and_basis_on_the_meeting(login, counselor) -> None:
    consent = ConsentFactory(given_by="family", method="oral")
    meeting = CaseMeetingFactory(kind=CaseMeeting.Kind.INDIVIDUAL)
    meeting.cases.add(consent.case)
    services.meeting_bases_save(
        user=counselor, meeting=meeting,
        rows=[services.BasisInput(case=consent.case, basis="consent")],
    )  # fmt: skip
    client = login(counselor)
    assert "家族・口頭" in client.get(consent.case.get_absolute_url()).content.decode()
    assert "本人・家族の同意" in client.get(meeting.get_absolute_url()).content.decode()


def test_contact_caution_shows_on_the_case_page(login, counselor) -> None:
    case = CaseFactory()
    client = login(counselor)
    response = client.post(
        reverse("casework:contact_edit", args=[case.pk]),
        {"phone": "088-000-0000", "caution": "本人に知られないように母の携帯へ"},
    )
    assert response.status_code == 302
    page = client.get(case.get_absolute_url()).content.decode()
    assert "連絡時の配慮" in page and "本人に知られないように母の携帯へ" in page
    contacts = client.get(reverse("casework:contacts", args=[case.pk])).content.decode()
    assert "088-000-0000" in contacts


def test_outsider_cannot_see_the_plan(login, outsider) -> None:
    plan = PlanGoalFactory().plan
    response = login(outsider).get(plan.get_absolute_url())
    assert response.status_code == 404
    assert plan.case.number not in response.content.decode()


def test_an_assessment_another_counselor_recorded_shows_who_may_void_it(
    login, counselor, colleague
) -> None:
    """The void rules of every record (cases.voiding): the page says so instead of the form,
    and a POST voids nothing."""
    from tests.factories import AssessmentFactory

    assessment = AssessmentFactory(assessor=colleague)
    client = login(counselor)
    url = reverse("casework:assessment_detail", args=[assessment.pk])
    body = client.get(url).content.decode()
    assert "取消できるのは、記録した本人" in body
    assert 'name="reason"' not in body
    response = client.post(url, {"reason": "取り違えた"})
    assert response.status_code == 200
    assessment.refresh_from_db()
    assert not assessment.is_voided
