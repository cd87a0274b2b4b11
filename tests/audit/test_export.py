"""Audit export: .xlsx of the filtered trail, text cells safe, the export itself audited."""

import io
import zipfile
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from audit.services import Action, audit_record
from audit.views import HEADERS

URL = reverse("audit:export")
TRICKY = ["=1+1", "+41 cmd", "-2+3", "@SUM(A1:A2)", "\t=tab", "\r=cr", '=HYPERLINK("x","y")']


def workbook_rows(response) -> list[tuple]:
    wb = load_workbook(io.BytesIO(response.getvalue()))
    return [tuple(c.value for c in row) for row in wb.active.iter_rows()]


@pytest.mark.django_db
def test_export_is_an_xlsx_attachment_never_cached(login, admin_user, counselor) -> None:
    audit_record(action=Action.VIEW, user=counselor, object_type="cases.case", object_id=1)
    response = login(admin_user).get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    assert "no-store" in response["Cache-Control"]
    rows = workbook_rows(response)
    assert list(rows[0]) == HEADERS


@pytest.mark.django_db
def test_export_follows_the_filter_and_is_audited_once_with_filter_and_count(
    login, admin_user, counselor, outsider
) -> None:
    for i in range(3):
        audit_record(action=Action.VIEW, user=counselor, object_type="cases.case", object_id=i)
    audit_record(action=Action.VIEW, user=outsider, object_type="cases.case", object_id=9)
    response = login(admin_user).get(URL, {"username": "counselor", "action": "view"})
    rows = workbook_rows(response)
    assert len(rows) == 1 + 3
    assert {row[1] for row in rows[1:]} == {"counselor"}
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert export.filters == {"username": "counselor", "action": "view"}
    assert export.row_count == 3
    assert export.username == "admin"
    assert export.object_type == "audit.auditevent"


@pytest.mark.django_db
def test_text_that_looks_like_a_formula_is_stored_as_text_and_reads_back_identical(
    login, admin_user
) -> None:
    for value in TRICKY:
        # A failed login keeps the typed username: attacker-controlled text.
        audit_record(
            action=Action.LOGIN_FAILED, object_type="accounts.user", object_id=value, reason=value
        )
    response = login(admin_user).get(URL, {"action": "login_failed"})
    raw = response.getvalue()
    wb = load_workbook(io.BytesIO(raw))
    cells = {}
    for row in list(wb.active.iter_rows())[1:]:
        object_id, reason = row[6], row[12]
        assert object_id.data_type == "s" and reason.data_type == "s"
        assert object_id.quotePrefix
        cells[object_id.value] = reason.value
    assert sorted(cells) == sorted(TRICKY)
    assert all(key == value for key, value in cells.items())
    # And nothing in the file is a formula.
    sheet = zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet


@pytest.mark.django_db
def test_too_many_rows_are_refused_with_a_message(login, admin_user, settings) -> None:
    settings.AUDIT_EXPORT_MAX_ROWS = 2
    for i in range(3):
        audit_record(action=Action.VIEW, object_type="cases.case", object_id=i)
    client = login(admin_user)
    response = client.get(URL, {"action": "view"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("audit:list"))
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
    page = client.get(response["Location"])
    assert "絞り込んでください" in page.content.decode()


@pytest.mark.django_db
def test_no_file_leaves_when_the_export_cannot_be_audited(login, admin_user) -> None:
    client = login(admin_user)
    client.raise_request_exception = False
    with mock.patch.object(AuditEvent.objects, "create", side_effect=RuntimeError("audit down")):
        response = client.get(URL)
    assert response.status_code == 500
    assert "attachment" not in response.get("Content-Disposition", "")
    assert b"PK" not in response.content[:2]


@pytest.mark.django_db
def test_export_headers_follow_the_language(login, admin_user, counselor, settings) -> None:
    audit_record(action=Action.VIEW, user=counselor, object_type="cases.case", object_id=1)
    client = login(admin_user)
    assert workbook_rows(client.get(URL))[0][:3] == ("日時", "ユーザー名", "役割")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = workbook_rows(client.get(URL))[0]
    assert "日時" not in english and all(h and h.isascii() for h in english), english
