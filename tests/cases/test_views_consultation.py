from django.urls import reverse

from audit.models import AuditEvent
from core.tokens import issue_submission_token
from tests.cases.conftest import days_ago


def post_data(**overrides):
    data = {
        "submission_token": issue_submission_token(),
        "date": days_ago(0).isoformat(),
        "method": "phone",
        "with_whom": "family",
        "duration_minutes": "",
        "notes": "母親から電話。本人は落ち着いている。",
        "next_action": "母親に電話で様子を確認",
        "next_action_date": days_ago(-14).isoformat(),
    }
    data.update(overrides)
    return data


def test_record_a_consultation_from_the_case_page(login, counselor, case) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    response = login(counselor).post(url, post_data())
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url() + "#timeline"
    latest = case.consultations.order_by("-id").first()
    assert latest.next_action_date == days_ago(-14)
    assert latest.recorded_by == counselor


def test_submitting_the_same_form_twice_creates_one_record(login, counselor, case) -> None:
    client = login(counselor)
    url = reverse("cases:consultation_create", args=[case.pk])
    data = post_data()
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert case.consultations.count() == 2  # the intake's and this one


def test_invalid_consultation_shows_the_message_next_to_the_field_and_saves_nothing(
    login, counselor, case
) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    response = login(counselor).post(
        url, post_data(method="home_visit", date=days_ago(-1).isoformat(), with_whom="")
    )
    assert response.status_code == 200
    form = response.context["consultation_form"]
    assert form.errors["date"] == ["未来の日付は入力できません。"]
    assert form.errors["with_whom"] == ["相手を選んでください。"]
    body = response.content.decode()
    assert 'id="id_date_error"' in body
    assert "入力内容を確認してください。保存されていません。" in body
    assert case.consultations.count() == 1


def test_duration_is_required_for_a_home_visit(login, counselor, case) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    response = login(counselor).post(url, post_data(method="home_visit"))
    assert response.context["consultation_form"].errors["duration_minutes"] == [
        "来所・訪問・同行のときは、所要時間を入力してください。"
    ]
    assert case.consultations.count() == 1


def test_consultation_before_intake_is_refused(login, counselor, case) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    response = login(counselor).post(url, post_data(date=days_ago(40).isoformat()))
    [message] = response.context["consultation_form"].errors["date"]
    assert message.startswith("受理日（") and message.endswith("より前の日付は入力できません。")


def test_edit_a_consultation(login, counselor, case) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_edit", args=[case.pk, consultation.pk])
    client = login(counselor)
    response = client.get(url)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="view", object_type="cases.consultation").exists()
    data = post_data(notes="訂正しました", version=consultation.version)
    data["date"] = consultation.date.isoformat()
    response = client.post(url, data)
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert (consultation.notes, consultation.version) == ("訂正しました", 2)


def test_concurrent_consultation_edit_is_refused_with_a_clear_message(
    login, counselor, colleague, case, client
) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_edit", args=[case.pk, consultation.pk])
    data = post_data(version=1, date=consultation.date.isoformat())
    login(colleague).post(url, {**data, "notes": "同僚の編集"})
    response = login(counselor).post(url, {**data, "notes": "私の編集"})
    assert response.status_code == 200
    assert "ほかの人がこの記録を先に更新しました" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.notes == "同僚の編集"
