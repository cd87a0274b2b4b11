"""Referral and employment pages: the flow through the client, scope and query counts."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from referrals.models import EmploymentOutcome, Referral
from tests.factories import EmploymentOutcomeFactory, ReferralFactory, ResourceFactory

DAY = dt.date(2023, 7, 1)


@pytest.fixture
def outcome(case):
    return EmploymentOutcomeFactory(case=case, person=case.person, started_on=dt.date(2023, 10, 1))


def personal_urls(case, referral, outcome) -> list[tuple[str, str]]:
    return [
        ("get", reverse("referrals:case_referrals", args=[case.pk])),
        ("get", reverse("referrals:referral_create", args=[case.pk])),
        ("post", reverse("referrals:referral_create", args=[case.pk])),
        ("get", reverse("referrals:referral_detail", args=[referral.pk])),
        ("post", reverse("referrals:referral_transition", args=[referral.pk])),
        ("post", reverse("referrals:referral_note_add", args=[referral.pk])),
        ("get", reverse("referrals:employment_create", args=[case.pk])),
        ("post", reverse("referrals:employment_create", args=[case.pk])),
        ("get", reverse("referrals:employment_edit", args=[outcome.pk])),
        ("post", reverse("referrals:employment_edit", args=[outcome.pk])),
    ]


def test_outsider_gets_404_on_every_referral_and_employment_url(
    login, outsider, case, referral, outcome, ibasho
) -> None:
    client = login(outsider)
    # A valid submission for every form: only the scope can refuse it.
    data = {
        "action": "arrange", "on": "2023-07-02", "version": 1, "resource": ibasho.pk,
        "proposed_on": "2023-07-02", "date": "2023-07-02", "text": "x",
        "started_on": "2023-10-02", "employment_type": "regular", "judgement": "auto",
    }  # fmt: skip
    for method, url in personal_urls(case, referral, outcome):
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, (method, url)
    referral.refresh_from_db()
    assert referral.status == "proposed" and not referral.notes.exists()
    assert Referral.objects.count() == 1 and EmploymentOutcome.objects.count() == 1
    assert AuditEvent.objects.filter(action="denied", username="outsider").count() == 10


def test_prefecture_staff_are_refused_every_personal_page(
    login, prefecture_staff, case, referral, outcome
) -> None:
    client = login(prefecture_staff)
    urls = [*personal_urls(case, referral, outcome), ("get", reverse("referrals:follow_up"))]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, (method, url)


def test_jurisdiction_counselor_and_centre_reach_a_case_in_their_area(
    login, aki_counselor, center, muroto, ibasho
) -> None:
    referral = ReferralFactory(case__person__municipality=muroto, resource=ibasho)
    url = reverse("referrals:referral_detail", args=[referral.pk])
    assert login(aki_counselor).get(url).status_code == 200
    assert login(center).get(url).status_code == 200


def test_create_form_proposes_and_redirects_to_the_referral(login, counselor, case, ibasho) -> None:
    client = login(counselor)
    url = reverse("referrals:referral_create", args=[case.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert page.context["form"]["proposed_on"].value() == timezone.localdate()
    response = client.post(url, {"resource": ibasho.pk, "proposed_on": "2023-07-01"})
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:referral_detail", args=[referral.pk])
    assert (referral.status, referral.proposed_on, referral.created_by) == (
        "proposed",
        DAY,
        counselor,
    )


def test_create_form_shows_the_duplicate_message_next_to_the_resource(
    login, counselor, referral
) -> None:
    url = reverse("referrals:referral_create", args=[referral.case.pk])
    response = login(counselor).post(
        url, {"resource": referral.resource.pk, "proposed_on": "2023-07-05"}
    )
    assert response.status_code == 200
    assert "すでにあります" in str(response.context["form"].errors["resource"])
    assert Referral.objects.count() == 1


def test_create_form_offers_only_active_resources(login, counselor, case, ibasho) -> None:
    closed = ResourceFactory(name="休止中", active=False)
    response = login(counselor).post(
        reverse("referrals:referral_create", args=[case.pk]),
        {"resource": closed.pk, "proposed_on": "2023-07-05"},
    )
    assert "resource" in response.context["form"].errors
    assert not Referral.objects.exists()


def test_detail_shows_buttons_for_allowed_steps_only(login, counselor, referral) -> None:
    response = login(counselor).get(reverse("referrals:referral_detail", args=[referral.pk]))
    actions = [item["action"] for item in response.context["transition_forms"]]
    assert actions == ["arrange", "connect", "not_realise"]
    body = response.content.decode()
    assert "調整中にする" in body and "つながったを記録" in body and "終了を記録" not in body
    assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action="view", object_type="referrals.referral").count() == 1


def test_detail_of_a_referral_that_never_connected_says_so(login, counselor, case, ibasho) -> None:
    referral = ReferralFactory(case=case, resource=ibasho, proposed_on=DAY, status="not_realised",
                               not_realised_on=DAY, not_realised_reason="declined")  # fmt: skip
    response = login(counselor).get(reverse("referrals:referral_detail", args=[referral.pk]))
    body = response.content.decode()
    assert "不成立" in body and "未接続" in body and "どの件数にも数えません" in body
    assert response.context["transition_forms"] == []


def test_detail_query_count_does_not_grow_with_steps_and_notes(
    login, counselor, referral, django_assert_num_queries
) -> None:
    client = login(counselor)
    url = reverse("referrals:referral_detail", args=[referral.pk])
    client.get(url)
    for i in range(15):
        referral.notes.create(date=DAY + dt.timedelta(days=i), text=f"記録{i}", by=counselor)
        referral.transitions.create(to_status="proposed", on=DAY, by=counselor)
    # Session, user, the scope's municipality ids, the scoped referral (case, person, resource
    # joined), the audit row, transitions and notes (each with its user joined).
    with django_assert_num_queries(7):
        client.get(url)


def test_transition_post_moves_the_referral_and_redirects(login, counselor, referral) -> None:
    client = login(counselor)
    url = reverse("referrals:referral_transition", args=[referral.pk])
    response = client.post(url, {"action": "connect", "on": "2023-07-20", "version": 1})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.connected_on) == ("connected", dt.date(2023, 7, 20))


def test_transition_with_an_earlier_date_shows_the_error_next_to_the_date(
    login, counselor, referral
) -> None:
    url = reverse("referrals:referral_transition", args=[referral.pk])
    response = login(counselor).post(url, {"action": "arrange", "on": "2023-06-30", "version": 1})
    assert response.status_code == 200
    body = response.content.decode()
    assert "前の段階「提案」の日付" in body
    assert 'id="id_arrange_on_error"' in body
    referral.refresh_from_db()
    assert referral.status == "proposed"


def test_not_realise_without_reason_is_refused_in_the_form(login, counselor, referral) -> None:
    url = reverse("referrals:referral_transition", args=[referral.pk])
    response = login(counselor).post(
        url, {"action": "not_realise", "on": "2023-07-02", "version": 1}
    )
    assert "不成立の理由を選んでください" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "proposed"


def test_forbidden_transition_post_is_refused_with_a_message(login, counselor, referral) -> None:
    url = reverse("referrals:referral_transition", args=[referral.pk])
    response = login(counselor).post(url, {"action": "end", "on": "2023-07-02", "version": 1})
    assert "「提案」のつなぎを「終了」にすることはできません" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "proposed"


def test_stale_version_post_is_refused(login, counselor, referral) -> None:
    url = reverse("referrals:referral_transition", args=[referral.pk])
    client = login(counselor)
    client.post(url, {"action": "arrange", "on": "2023-07-02", "version": 1})
    response = client.post(url, {"action": "not_realise", "on": "2023-07-03", "version": 1,
                                 "reason": "declined"})  # fmt: skip
    assert "ほかの人がこの記録を先に更新しました" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "arranging"


def test_note_post_adds_a_note(login, counselor, referral) -> None:
    url = reverse("referrals:referral_note_add", args=[referral.pk])
    response = login(counselor).post(url, {"date": "2023-07-05", "text": "初回の見学に同行"})
    assert response.status_code == 302
    note = referral.notes.get()
    assert (note.text, note.by) == ("初回の見学に同行", counselor)


def test_note_post_with_errors_keeps_nothing(login, counselor, referral) -> None:
    url = reverse("referrals:referral_note_add", args=[referral.pk])
    response = login(counselor).post(url, {"date": "2023-06-01", "text": "早すぎる日付"})
    assert response.status_code == 200
    assert "提案日" in response.content.decode()
    assert not referral.notes.exists()


def test_case_referrals_lists_referrals_and_jobs(login, counselor, case, referral, outcome) -> None:
    response = login(counselor).get(reverse("referrals:case_referrals", args=[case.pk]))
    body = response.content.decode()
    assert referral.resource.name in body and "パート・アルバイト" in body
    assert "数えない" in body


def test_case_referrals_query_count_is_constant(
    login, counselor, case, django_assert_num_queries
) -> None:
    for _ in range(12):
        ReferralFactory(case=case, proposed_on=DAY)
        EmploymentOutcomeFactory(case=case, person=case.person)
    client = login(counselor)
    client.get(reverse("referrals:case_referrals", args=[case.pk]))
    # Session, user, the scope's municipality ids, the scoped case, referrals (resources
    # joined), jobs, the audit row.
    with django_assert_num_queries(7):
        client.get(reverse("referrals:case_referrals", args=[case.pk]))


def test_employment_create_judges_automatically(login, counselor, case, training_site) -> None:
    ReferralFactory(case=case, resource=training_site, proposed_on=DAY, status="connected",
                    connected_on=dt.date(2023, 9, 1))  # fmt: skip
    response = login(counselor).post(
        reverse("referrals:employment_create", args=[case.pk]),
        {"started_on": "2023-09-01", "employment_type": "regular", "judgement": "auto"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:case_referrals", args=[case.pk])
    outcome = EmploymentOutcome.objects.get()
    assert (outcome.after_intermediate, outcome.recorded_by) == (True, counselor)


def test_employment_manual_judgement_without_reason_shows_the_error(login, counselor, case) -> None:
    response = login(counselor).post(
        reverse("referrals:employment_create", args=[case.pk]),
        {"started_on": "2023-09-01", "employment_type": "regular", "judgement": "manual_yes"},
    )
    assert response.status_code == 200
    assert "手動で判定する場合は理由を入力してください" in response.content.decode()
    assert not EmploymentOutcome.objects.exists()


def test_employment_edit_overrides_with_a_reason(login, counselor, outcome) -> None:
    client = login(counselor)
    url = reverse("referrals:employment_edit", args=[outcome.pk])
    page = client.get(url)
    assert page.context["form"]["judgement"].value() == "auto"
    response = client.post(url, {
        "started_on": "2023-10-01", "employment_type": "part_time", "judgement": "manual_yes",
        "manual_reason": "県外の就労訓練を利用", "version": 1,
    })  # fmt: skip
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert (outcome.after_intermediate, outcome.after_intermediate_source) == (True, "manual")
    assert outcome.version == 2
    event = AuditEvent.objects.get(action="update", object_type="referrals.employmentoutcome")
    assert event.reason == "県外の就労訓練を利用"


def test_employment_edit_with_a_stale_version_is_refused(login, counselor, outcome) -> None:
    response = login(counselor).post(
        reverse("referrals:employment_edit", args=[outcome.pk]),
        {"started_on": "2023-10-01", "employment_type": "regular", "judgement": "auto",
         "version": 0},
    )  # fmt: skip
    assert "ほかの人がこの記録を先に更新しました" in response.content.decode()
    outcome.refresh_from_db()
    assert outcome.employment_type == "part_time"


def test_refused_employment_edit_shows_both_versions_and_saves_on_top(
    login, counselor, colleague, outcome
) -> None:
    url = reverse("referrals:employment_edit", args=[outcome.pk])
    loaded = {"started_on": "2023-10-01", "employment_type": "part_time", "judgement": "auto",
              "version": 1}  # fmt: skip
    login(colleague).post(url, {**loaded, "started_on": "2023-09-15"})
    mine = {**loaded, "employment_type": "regular", "judgement": "manual_yes",
            "manual_reason": "私の理由：県外の就労訓練を利用"}  # fmt: skip
    views_before = AuditEvent.objects.filter(action="view", object_id=str(outcome.pk)).count()
    response = login(counselor).post(url, mine)
    body = response.content.decode()
    assert response.status_code == 200
    box = re.search(r'<section class="conflict".*?</section>', body, re.S)
    assert box, "the saved version is not shown"
    assert "2023-09-15" in box.group(0)  # theirs
    assert "私の理由：県外の就労訓練を利用" in body.replace(box.group(0), "")  # mine, in the form
    assert 'name="version" value="2"' in body
    outcome.refresh_from_db()
    assert (outcome.started_on, outcome.employment_type) == (dt.date(2023, 9, 15), "part_time")
    assert AuditEvent.objects.filter(action="view", object_id=str(outcome.pk)).count() == (
        views_before + 1
    )

    again = login(counselor).post(url, {**mine, "version": 2})
    assert again.status_code == 302
    outcome.refresh_from_db()
    assert (outcome.employment_type, outcome.version) == ("regular", 3)


def test_the_employment_page_offers_to_rejudge_when_the_rule_now_says_otherwise(
    login, counselor, outcome, training_site
) -> None:
    ReferralFactory(
        case=outcome.case, resource=training_site, proposed_on=dt.date(2023, 8, 1),
        status="connected", connected_on=dt.date(2023, 9, 1),
    )  # fmt: skip
    client = login(counselor)
    html = client.get(reverse("referrals:employment_edit", args=[outcome.pk])).content.decode()
    assert "判定し直す" in html and "同じ日を含む" in html
    response = client.post(
        reverse("referrals:employment_rejudge", args=[outcome.pk]), {"version": 1}
    )
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.after_intermediate and outcome.version == 2
    assert AuditEvent.objects.filter(
        action="update", object_type="referrals.employmentoutcome", reason="自動判定をし直した"
    ).exists()
