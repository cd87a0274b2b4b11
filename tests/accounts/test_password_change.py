"""Password change: audited, ends the user's other sessions, and fails closed."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

OLD = "correct horse battery staple"
NEW = "a new and long passphrase 2026"


def change(client: Client, old: str = OLD, new: str = NEW):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.django_db
def test_password_change_is_saved_and_audited(login, counselor) -> None:
    client = login(counselor)
    response = change(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    counselor.refresh_from_db()
    assert counselor.check_password(NEW)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="accounts.user")
    assert event.object_id == str(counselor.pk)
    assert event.changed_fields == ["password"]


@pytest.mark.django_db
def test_password_change_ends_other_sessions_but_keeps_this_one(counselor) -> None:
    here, elsewhere = Client(), Client()
    here.force_login(counselor)
    elsewhere.force_login(counselor)
    assert elsewhere.get(reverse("home")).status_code == 200

    assert change(here).status_code == 302

    assert here.get(reverse("home")).status_code == 200
    response = elsewhere.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_wrong_current_password_changes_nothing(login, counselor) -> None:
    client = login(counselor)
    response = change(client, old="not my password at all")
    assert response.status_code == 200
    counselor.refresh_from_db()
    assert counselor.check_password(OLD)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


@pytest.mark.django_db
def test_audit_failure_rolls_the_change_back_and_shows_the_generic_error(login, counselor) -> None:
    """Fail closed: no audit row, no write. The user sees the plain 500 page."""
    client = login(counselor)
    client.raise_request_exception = False
    with mock.patch.object(
        AuditEvent.objects, "create", side_effect=RuntimeError("audit store unavailable")
    ):
        response = change(client)
    assert response.status_code == 500
    body = response.content.decode()
    assert "エラーが発生しました" in body
    assert "入力した内容は保存されていません" in body
    assert "Traceback" not in body
    assert "audit store unavailable" not in body
    assert "RuntimeError" not in body
    counselor.refresh_from_db()
    assert counselor.check_password(OLD)
    assert not counselor.check_password(NEW)
