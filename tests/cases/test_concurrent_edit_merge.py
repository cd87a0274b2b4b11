"""A refused concurrent edit shows the other person's saved version beside the user's own text,
and the form carries the new version: saving again writes on top of it, knowingly."""

import re

from django.urls import reverse

from tests.cases.conftest import days_ago
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


def _conflict_box(body: str) -> str:
    match = re.search(r'<section class="conflict".*?</section>', body, re.S)
    assert match, "no side-by-side box"
    return match.group(0)


def test_refused_status_change_shows_the_saved_status_and_keeps_the_typed_reason(
    login, counselor, colleague, case
) -> None:
    """A colleague suspends the case while the counselor has the close page open."""
    from audit.models import AuditEvent
    from cases.models import Case

    stale_version = case.version
    login(colleague).post(
        reverse("cases:suspend", args=[case.pk]),
        {"version": stale_version, "on": days_ago(1).isoformat(), "end_reason": "no_contact",
         "reason": "同僚：3か月連絡が取れない"},
    )  # fmt: skip
    case.refresh_from_db()
    assert case.status == Case.Status.SUSPENDED
    views_before = AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count()

    url = reverse("cases:close", args=[case.pk])
    mine = {"version": stale_version, "on": days_ago(0).isoformat(), "end_reason": "other",
            "reason": "私の長い終結理由：本人と家族と合意"}  # fmt: skip
    response = login(counselor).post(url, mine)
    body = response.content.decode()
    assert response.status_code == 200
    assert "ほかの人がこの記録を先に更新しました" in body
    box = _conflict_box(body)
    assert "中断" in box and "同僚：3か月連絡が取れない" in box  # theirs
    assert days_ago(1).isoformat() in box
    assert "私の長い終結理由：本人と家族と合意" in body.replace(box, "")  # mine, in the form
    assert _version_in(body) == stale_version + 1
    case.refresh_from_db()
    assert (case.status, case.status_reason) == (Case.Status.SUSPENDED, "同僚：3か月連絡が取れない")
    # The saved version shown is a read of the case, audited.
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count() == (
        views_before + 1
    )

    again = login(counselor).post(url, {**mine, "version": stale_version + 1})
    assert again.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.status_reason) == (Case.Status.CLOSED, mine["reason"])


def test_a_status_change_refused_for_another_reason_shows_no_saved_version(
    login, counselor, case
) -> None:
    client = login(counselor)
    client.post(
        reverse("cases:suspend", args=[case.pk]),
        {"version": case.version, "on": days_ago(1).isoformat(), "end_reason": "no_contact"},
    )
    case.refresh_from_db()
    response = client.post(
        reverse("cases:close", args=[case.pk]),
        {"version": case.version, "on": days_ago(5).isoformat(), "end_reason": "moved"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "前回の状況の変更日" in body  # the service's refusal, next to the date
    assert 'class="conflict"' not in body and "ほかの人がこの記録を先に更新しました" not in body


def _marked_rows(box: str) -> list[str]:
    """The labels of the box's rows marked as differing from the user's input."""
    return re.findall(r'<dt class="conflict__differs">([^<]+?) <span', box)


def test_the_box_marks_only_the_values_that_differ_from_the_users_input(
    login, counselor, colleague, case
) -> None:
    """Saving on top replaces every field: the box says which of the other person's values
    the user's form would overwrite, so they are compared before the second save."""
    consultation = case.consultations.get()
    url = reverse("cases:consultation_edit", args=[case.pk, consultation.pk])
    data = post_data(version=1, date=consultation.date.isoformat())
    login(colleague).post(url, {**data, "notes": "同僚の編集"})
    body = login(counselor).post(url, {**data, "notes": "私の編集"}).content.decode()
    box = _conflict_box(body)
    assert _marked_rows(box) == ["内容"], box
    assert "あなたの入力と違います" in box


def test_same_input_as_the_saved_version_marks_nothing(login, counselor, colleague, case) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_edit", args=[case.pk, consultation.pk])
    data = post_data(version=1, date=consultation.date.isoformat())
    login(colleague).post(url, {**data, "notes": "同じ内容\r\n二行目"})
    body = login(counselor).post(url, {**data, "notes": "同じ内容\n二行目"}).content.decode()
    box = _conflict_box(body)
    assert _marked_rows(box) == []
    assert "あなたの入力と違います" not in box
