from django.urls import reverse

from audit.models import AuditEvent
from cases.models import HouseholdMember
from tests.cases.conftest import days_ago


def edit_data(case, **overrides):
    data = {
        "version": case.version,
        "status": case.status,
        "intake_route": case.intake_route,
        "visitor": case.visitor,
        "age_band_at_intake": case.age_band_at_intake,
        "withdrawal_duration": case.withdrawal_duration,
        "assigned_counselor": case.assigned_counselor_id or "",
        "name": case.person.name,
        "kana": case.person.kana,
        "birth_year": case.person.birth_year or "",
        "person_age_band": case.person.age_band,
        "sex": case.person.sex,
        "household_notes": "",
    }
    data.update(overrides)
    return data


def test_edit_page_shows_the_current_values_and_is_audited_as_a_view(
    login, counselor, case
) -> None:
    response = login(counselor).get(reverse("cases:edit", args=[case.pk]))
    assert response.status_code == 200
    assert response.context["form"]["kana"].value() == "やまだ たろう"
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count() == 1


def test_edit_saves_and_redirects_to_the_case(login, counselor, case) -> None:
    url = reverse("cases:edit", args=[case.pk])
    response = login(counselor).post(url, edit_data(case, status="active", name="山田 一郎"))
    assert response.status_code == 302
    case.refresh_from_db()
    case.person.refresh_from_db()
    assert (case.status, case.person.name, case.version) == ("active", "山田 一郎", 2)


def test_second_edit_from_a_stale_page_is_refused_and_the_first_survives(
    login, counselor, colleague, case, client
) -> None:
    url = reverse("cases:edit", args=[case.pk])
    stale = edit_data(case)
    login(colleague).post(url, {**stale, "withdrawal_duration": "10y+"})
    response = login(counselor).post(url, {**stale, "withdrawal_duration": "lt6m"})
    assert response.status_code == 200
    assert "ほかの人がこの記録を先に更新しました" in response.content.decode()
    case.refresh_from_db()
    assert case.withdrawal_duration == "10y+"


def test_kana_with_kanji_is_refused_next_to_the_field(login, counselor, case) -> None:
    url = reverse("cases:edit", args=[case.pk])
    response = login(counselor).post(url, edit_data(case, kana="山田たろう"))
    assert "ひらがな・カタカナ" in response.context["form"].errors["kana"][0]
    case.person.refresh_from_db()
    assert case.person.kana == "やまだ たろう"


def test_close_with_date_and_reason(login, counselor, case) -> None:
    url = reverse("cases:close", args=[case.pk])
    client = login(counselor)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "version": 1,
            "on": days_ago(1).isoformat(),
            "reason": "就労が安定した",
            "end_reason": "goal_reached",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("closed", days_ago(1))


def test_closing_before_intake_shows_the_message_next_to_the_date(login, counselor, case) -> None:
    url = reverse("cases:close", args=[case.pk])
    response = login(counselor).post(
        url, {"version": 1, "on": days_ago(60).isoformat(), "reason": "x"}
    )
    assert response.status_code == 200
    assert "より前の日付は入力できません" in response.context["form"].errors["on"][0]
    case.refresh_from_db()
    assert case.status == "intake"


def test_suspend_then_reopen_through_the_pages(login, counselor, case) -> None:
    client = login(counselor)
    client.post(
        reverse("cases:suspend", args=[case.pk]),
        {
            "version": 1,
            "on": days_ago(5).isoformat(),
            "reason": "連絡が取れない",
            "end_reason": "no_contact",
        },
    )
    # Reopening an open case is not offered; on a suspended one it is.
    response = client.post(
        reverse("cases:reopen", args=[case.pk]),
        {"version": 2, "on": days_ago(0).isoformat(), "reason": "母親から再び電話"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "active"
    assert client.get(reverse("cases:reopen", args=[case.pk])).status_code == 302


def test_household_member_add_edit_remove(login, counselor, case) -> None:
    client = login(counselor)
    response = client.post(
        reverse("cases:member_add", args=[case.pk]),
        {"relationship": "mother", "age_band": "80+", "needs_care": "on", "circumstances": ""},
    )
    assert response.status_code == 302
    member = HouseholdMember.objects.get()
    assert member.needs_care and member.household.person == case.person
    client.post(
        reverse("cases:member_edit", args=[case.pk, member.pk]),
        {
            "relationship": "mother",
            "age_band": "80+",
            "young_carer": "",
            "circumstances": "要介護3",
        },
    )
    member.refresh_from_db()
    assert (member.circumstances, member.needs_care) == ("要介護3", False)
    update = AuditEvent.objects.get(action="update", object_type="cases.householdmember")
    assert update.changed_fields == ["circumstances", "needs_care"]
    client.post(reverse("cases:member_remove", args=[case.pk, member.pk]))
    assert not HouseholdMember.objects.exists()
    assert AuditEvent.objects.filter(action="delete", object_id=str(member.pk)).exists()
