"""Bad input gets a message next to the field and keeps everything typed (nothing saved)."""

from django.urls import reverse

from tests.cases.test_views_consultation import post_data

NOTE = "長い訪問の記録。本人の好きなことについて話した。"


def test_a_refused_consultation_keeps_every_field(login, counselor, case) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    data = post_data(notes=NOTE, method="home_visit", duration_minutes="", next_action="再訪問")
    response = login(counselor).post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "所要時間を入力してください" in body
    assert NOTE in body and 'value="再訪問"' in body
    assert not case.consultations.filter(notes=NOTE).exists()


def test_a_refused_void_keeps_the_typed_reason(login, counselor, case) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_void", args=[case.pk, consultation.pk])
    response = login(counselor).post(url, {"reason": "x" * 501})
    body = response.content.decode()
    assert response.status_code == 200
    assert "x" * 501 in body
    consultation.refresh_from_db()
    assert consultation.voided_at is None
