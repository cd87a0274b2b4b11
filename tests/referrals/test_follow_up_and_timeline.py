"""The case timeline provider, the home follow-up panel and the full follow-up page."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cases.services import case_void
from cases.timeline import PROVIDERS, case_timeline
from core.home import PANELS
from referrals.selectors import home_stuck_referrals, referral_timeline_entries
from tests.factories import CaseFactory, EmploymentOutcomeFactory, ReferralFactory, ResourceFactory

TODAY = timezone.localdate()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def panel_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return home_stuck_referrals(request)


def arranging(case, resource, since: int):
    return ReferralFactory(case=case, resource=resource, proposed_on=days_ago(since + 5),
                           status="arranging", arranging_on=days_ago(since))  # fmt: skip


def connected(case, resource, since: int, note_days_ago: int | None = None):
    referral = ReferralFactory(case=case, resource=resource, proposed_on=days_ago(since + 5),
                               status="connected", connected_on=days_ago(since))  # fmt: skip
    if note_days_ago is not None:
        referral.notes.create(date=days_ago(note_days_ago), text="様子")
    return referral


@pytest.fixture
def recent_case(counselor):
    return CaseFactory(intake_date=days_ago(400), assigned_counselor=counselor)


# Timeline -----------------------------------------------------------------------------------


def test_timeline_has_every_step_and_the_job_in_two_queries(
    counselor, case, ibasho, training_site, django_assert_num_queries
) -> None:
    for i in range(5):
        referral = ReferralFactory(case=case, resource=ResourceFactory(kind=ibasho.kind),
                                   proposed_on=dt.date(2023, 7, 1), status="arranging",
                                   arranging_on=dt.date(2023, 7, 2 + i))  # fmt: skip
        referral.transitions.create(to_status="proposed", on=referral.proposed_on, by=counselor)
        referral.transitions.create(from_status="proposed", to_status="arranging",
                                    on=referral.arranging_on, by=counselor)  # fmt: skip
    EmploymentOutcomeFactory(case=case, person=case.person, started_on=dt.date(2023, 10, 1))
    ReferralFactory(proposed_on=dt.date(2023, 7, 1)).transitions.create(
        to_status="proposed", on=dt.date(2023, 7, 1)
    )  # another case's referral
    with django_assert_num_queries(2):
        entries = list(referral_timeline_entries(case))
        html = "".join(_render(e) for e in entries)
    assert sorted(e.kind for e in entries) == ["employment"] + ["referral"] * 10
    assert "調整中" in html and "パート・アルバイト" in html


def _render(entry) -> str:
    from django.template.loader import render_to_string

    return render_to_string(entry.template, {"entry": entry})


def test_provider_is_registered_on_the_case_timeline(case, referral) -> None:
    assert "referrals.selectors.referral_timeline_entries" in PROVIDERS
    assert [e.kind for e in case_timeline(case)] == ["referral"]


# Home panel ---------------------------------------------------------------------------------


def test_stuck_means_more_than_30_days_in_arranging(counselor, recent_case, ibasho) -> None:
    over = arranging(recent_case, ibasho, 31)
    arranging(recent_case, ResourceFactory(kind=ibasho.kind), 30)  # exactly 30: not yet
    panel = panel_for(counselor)
    assert [r.pk for r in panel["stuck"]] == [over.pk]
    assert panel["stuck_total"] == 1


def test_quiet_means_a_connected_ibasho_with_no_note_for_90_days(
    counselor, recent_case, ibasho, training_site
) -> None:
    silent = connected(recent_case, ibasho, 120)
    old_note = connected(recent_case, ResourceFactory(kind=ibasho.kind), 200, note_days_ago=90)
    connected(recent_case, ResourceFactory(kind=ibasho.kind), 200, note_days_ago=89)
    connected(recent_case, ResourceFactory(kind=ibasho.kind), 89)  # connected recently
    connected(recent_case, training_site, 200)  # not a 居場所等 kind
    panel = panel_for(counselor)
    assert {r.pk for r in panel["quiet"]} == {silent.pk, old_note.pk}
    assert panel["stuck"] == []


def test_own_cases_come_first_then_the_rest_of_the_scope(
    counselor, colleague, recent_case, ibasho, muroto
) -> None:
    colleagues_case = CaseFactory(intake_date=days_ago(400), assigned_counselor=colleague)
    older_other = arranging(colleagues_case, ibasho, 200)
    mine = arranging(recent_case, ibasho, 40)
    outside = CaseFactory(person__municipality=muroto, intake_date=days_ago(400))
    arranging(outside, ibasho, 100)
    panel = panel_for(counselor)
    assert [r.pk for r in panel["stuck"]] == [mine.pk, older_other.pk]
    assert [r.is_mine for r in panel["stuck"]] == [0, 1]


def test_referrals_of_a_voided_case_are_on_neither_list(
    login, counselor, colleague, center, recent_case, ibasho, muroto
) -> None:
    """A case opened by mistake is off every work list: its referrals leave the panel, its
    totals and the full follow-up page, whoever the case was assigned to (the lists leave the
    scope's voided cases out by their ids, referrals.selectors._live_cases)."""
    kept_stuck = arranging(recent_case, ibasho, 40)
    kept_quiet = connected(recent_case, ResourceFactory(kind=ibasho.kind), 120)
    for assignee in (counselor, colleague):
        voided = CaseFactory(intake_date=days_ago(400), assigned_counselor=assignee)
        arranging(voided, ibasho, 50)
        connected(voided, ResourceFactory(kind=ibasho.kind), 150)
        case_void(user=center, case=voided, reason="重複した受付")
    # A voided case elsewhere does not hide anything here.
    outside = CaseFactory(person__municipality=muroto, intake_date=days_ago(400))
    case_void(user=center, case=outside, reason="重複した受付")
    panel = panel_for(counselor)
    assert [r.pk for r in panel["stuck"]] == [kept_stuck.pk]
    assert [r.pk for r in panel["quiet"]] == [kept_quiet.pk]
    assert (panel["stuck_total"], panel["quiet_total"]) == (1, 1)
    assert panel["stuck"][0].case.number == recent_case.number
    page = login(counselor).get(reverse("referrals:follow_up"))
    assert page.status_code == 200
    assert [r.pk for r in page.context["stuck"]] == [kept_stuck.pk]
    assert [r.pk for r in page.context["quiet"]] == [kept_quiet.pk]


def test_panel_is_hidden_when_empty_and_for_prefecture_staff(
    counselor, prefecture_staff, recent_case, ibasho
) -> None:
    assert panel_for(counselor) is None
    arranging(recent_case, ibasho, 60)
    assert panel_for(prefecture_staff) is None
    assert panel_for(counselor) is not None


def test_panel_query_count_is_constant_and_rows_are_capped(
    counselor, recent_case, ibasho, django_assert_num_queries
) -> None:
    for _ in range(15):
        resource = ResourceFactory(kind=ibasho.kind)
        arranging(recent_case, resource, 45)
        connected(recent_case, ResourceFactory(kind=ibasho.kind), 150)
    # The scope ids (once for both lists), each list's rows with their total, the cases shown
    # with their persons.
    with django_assert_num_queries(4):
        panel = panel_for(counselor)
        panel["stuck"][0].case.person.name, panel["quiet"][0].resource.name
    assert (len(panel["stuck"]), panel["stuck_total"]) == (10, 15)
    assert (len(panel["quiet"]), panel["quiet_total"]) == (10, 15)


def test_home_page_shows_the_panel_with_a_link_to_the_full_list(
    login, counselor, recent_case, ibasho
) -> None:
    assert "referrals.selectors.home_stuck_referrals" in PANELS
    for _ in range(11):
        arranging(recent_case, ResourceFactory(kind=ibasho.kind), 45)
    body = login(counselor).get(reverse("home")).content.decode()
    assert "つなぎのフォローアップ" in body
    assert reverse("referrals:follow_up") in body


def test_follow_up_page_lists_everything_in_scope(
    login, counselor, outsider, recent_case, ibasho
) -> None:
    for _ in range(12):
        arranging(recent_case, ResourceFactory(kind=ibasho.kind), 45)
    response = login(counselor).get(reverse("referrals:follow_up"))
    assert len(response.context["stuck"]) == 12
    response = login(outsider).get(reverse("referrals:follow_up"))
    assert response.status_code == 200 and response.context["stuck"] == []
