"""A refused concurrent edit shows the other person's saved version beside the user's own text,
and the form carries the new version: saving again writes on top of it, knowingly."""

import re

from django.urls import reverse

from tests.cases.test_views_consultation import post_data


def _version_in(body: str) -> int:
    match = re.search(r'name="version" value="(\d+)"', body)
    assert match, "the form carries no version"
    return int(match.group(1))


def test_refused_editor_sees_both_versions_and_can_save_on_top(
    login, counselor, colleague, case
) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_edit", args=[case.pk, consultation.pk])
    data = post_data(version=1, date=consultation.date.isoformat())
    login(colleague).post(url, {**data, "notes": "同僚の編集"})
    response = login(counselor).post(url, {**data, "notes": "私の長い編集"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "ほかの人が保存した最新の内容" in body
    assert "同僚の編集" in body  # theirs, shown
    assert "私の長い編集" in body  # mine, kept in the form
    assert _version_in(body) == 2
    consultation.refresh_from_db()
    assert consultation.notes == "同僚の編集"

    again = login(counselor).post(url, {**data, "notes": "私の長い編集", "version": 2})
    assert again.status_code == 302
    consultation.refresh_from_db()
    assert (consultation.notes, consultation.version) == ("私の長い編集", 3)


def test_case_edit_conflict_shows_the_saved_case(login, counselor, colleague, case) -> None:
    url = reverse("cases:edit", args=[case.pk])
    form = login(colleague).get(url).context["form"]
    data = {
        name: (value if not isinstance(value, list) else [getattr(v, "pk", v) for v in value])
        for name, value in form.initial.items()
        if value is not None
    }
    data["version"] = case.version
    login(colleague).post(url, {**data, "household_notes": "同僚が書いた世帯の状況"})
    response = login(counselor).post(url, {**data, "household_notes": "私の世帯メモ"})
    body = response.content.decode()
    assert "同僚が書いた世帯の状況" in body and "私の世帯メモ" in body
    assert _version_in(body) == case.version + 1
