"""A form submitted twice creates one record: double click (same token), Back and resubmit
(a fresh token, the same content), a resubmitted intake; a deliberate copy needs a tick."""

from django.urls import reverse

from cases.models import Case, Consultation
from core.tokens import issue_submission_token
from tests.cases.test_views_consultation import post_data
from tests.cases.test_views_intake import INTAKE, intake_data


def test_double_click_on_the_consultation_form_saves_one_record(login, counselor, case) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    data = post_data()
    client = login(counselor)
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert case.consultations.filter(notes=data["notes"]).count() == 1


def test_back_and_resubmit_is_recognised_and_links_to_the_saved_record(
    login, counselor, case
) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    client = login(counselor)
    first = post_data()
    client.post(url, first)
    saved = case.consultations.get(notes=first["notes"])
    # Back: the page is fetched again (no-store) with a new token; the browser refills it.
    again = {**first, "submission_token": issue_submission_token()}
    response = client.post(url, again)
    body = response.content.decode()
    assert response.status_code == 200
    assert "同じ内容の記録がすでにあります" in body
    assert saved.get_absolute_url() in body
    assert first["notes"] in body  # the text is still in the form
    assert case.consultations.filter(notes=first["notes"]).count() == 1
    # A deliberate second identical record, with the explicit tick.
    response = client.post(url, {**again, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert case.consultations.filter(notes=first["notes"]).count() == 2


def test_a_colleague_recording_the_same_content_is_not_a_duplicate(
    login, counselor, colleague, case
) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    data = post_data()
    login(counselor).post(url, data)
    login(colleague).post(url, {**data, "submission_token": issue_submission_token()})
    assert case.consultations.filter(notes=data["notes"]).count() == 2


def test_the_window_is_short(settings, login, counselor, case) -> None:
    url = reverse("cases:consultation_create", args=[case.pk])
    data = post_data()
    client = login(counselor)
    client.post(url, data)
    settings.DUPLICATE_SUBMISSION_WINDOW_SECONDS = 0
    client.post(url, {**data, "submission_token": issue_submission_token()})
    assert case.consultations.filter(notes=data["notes"]).count() == 2


def test_a_resubmitted_intake_opens_one_case(login, counselor, kochi_city) -> None:
    client = login(counselor)
    data = intake_data(kochi_city)
    assert client.post(INTAKE, data).status_code == 302
    # Back and resubmit: a fresh token; the new person step is answered "new person".
    again = {**data, "submission_token": issue_submission_token(), "person_choice": "new"}
    response = client.post(INTAKE, again)
    body = response.content.decode()
    assert response.status_code == 200
    assert "同じ内容の記録がすでにあります" in body
    first = Case.objects.get()
    assert first.get_absolute_url() in body
    assert Consultation.objects.count() == 1
    # On purpose (e.g. two siblings with the same first call): the tick opens a second case.
    response = client.post(INTAKE, {**again, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Case.objects.count() == 2
