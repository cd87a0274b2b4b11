"""Lockout by username after repeated failures, with a cool-off; one message for every refusal."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginThrottle
from audit.models import AuditEvent

PASSWORD = "correct horse battery staple"  # tests/conftest.py make_user
MESSAGE = "ユーザー名またはパスワードが正しくありません。"


def attempt(client: Client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def fail_times(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        response = attempt(client, username, "wrong password 123")
        assert response.status_code == 200


@pytest.mark.django_db
def test_correct_password_logs_in(client, counselor) -> None:
    response = attempt(client, "counselor", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


@pytest.mark.django_db
def test_fifth_failure_locks_the_username_even_with_the_right_password(client, counselor) -> None:
    fail_times(client, "counselor", 5)
    response = attempt(client, "counselor", PASSWORD)
    assert response.status_code == 200
    assert not logged_in(client)
    assert MESSAGE in response.content.decode()
    assert LoginThrottle.objects.get(username_key="counselor").locked_until is not None


@pytest.mark.django_db
def test_four_failures_do_not_lock(client, counselor) -> None:
    fail_times(client, "counselor", 4)
    assert attempt(client, "counselor", PASSWORD).status_code == 302
    # A completed login clears the count.
    assert not LoginThrottle.objects.filter(username_key="counselor").exists()


@pytest.mark.django_db
def test_lockout_is_by_username_not_by_ip(client, counselor, colleague) -> None:
    """A whole town hall shares one address: a colleague at the same IP still logs in."""
    fail_times(client, "counselor", 5)
    other = Client(REMOTE_ADDR="127.0.0.1")
    assert attempt(other, "colleague", PASSWORD).status_code == 302
    assert attempt(Client(REMOTE_ADDR="10.9.9.9"), "counselor", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_lockout_ignores_username_case(client, counselor) -> None:
    fail_times(client, "Counselor", 3)
    fail_times(client, "COUNSELOR", 2)
    assert attempt(client, "counselor", PASSWORD).status_code == 200
    assert not logged_in(client)


@pytest.mark.django_db
def test_cool_off_ends_the_lock(client, counselor) -> None:
    fail_times(client, "counselor", 5)
    later = timezone.now() + dt.timedelta(minutes=15, seconds=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert attempt(client, "counselor", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_still_locked_just_before_the_cool_off_ends(client, counselor) -> None:
    fail_times(client, "counselor", 5)
    later = timezone.now() + dt.timedelta(minutes=14)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert attempt(client, "counselor", PASSWORD).status_code == 200
    assert not logged_in(client)


@pytest.mark.django_db
def test_failures_outside_the_window_start_a_new_count(client, counselor) -> None:
    fail_times(client, "counselor", 4)
    later = timezone.now() + dt.timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        fail_times(client, "counselor", 1)
        assert attempt(client, "counselor", PASSWORD).status_code == 302


@pytest.mark.django_db
@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_LOCKOUT_SECONDS=60)
def test_limit_and_cool_off_are_settings(client, counselor) -> None:
    fail_times(client, "counselor", 2)
    assert attempt(client, "counselor", PASSWORD).status_code == 200
    later = timezone.now() + dt.timedelta(seconds=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert attempt(client, "counselor", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_same_message_for_unknown_user_wrong_password_inactive_and_locked(
    client, counselor, colleague
) -> None:
    colleague.is_active = False
    colleague.save()
    unknown = attempt(client, "nobody-here", PASSWORD)
    wrong = attempt(client, "counselor", "wrong password 123")
    inactive = attempt(client, "colleague", PASSWORD)
    fail_times(client, "counselor", 4)
    locked = attempt(client, "counselor", PASSWORD)

    def errors(response) -> list[str]:
        return [str(e) for e in response.context["form"].non_field_errors()]

    assert errors(unknown) == errors(wrong) == errors(inactive) == errors(locked)
    assert MESSAGE in errors(unknown)[0]


@pytest.mark.django_db
def test_unknown_usernames_are_throttled_like_real_ones(client) -> None:
    fail_times(client, "nobody-here", 5)
    assert LoginThrottle.objects.get(username_key="nobody-here").locked_until is not None


@pytest.mark.django_db
def test_failures_and_locked_attempts_are_audited_without_the_password(client, counselor) -> None:
    fail_times(client, "counselor", 5)
    attempt(client, "counselor", PASSWORD)
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert rows.count() == 6
    assert rows.filter(reason="locked", object_id="counselor").count() == 1
    assert all(row.ip_address == "127.0.0.1" for row in rows)
    for row in rows:
        assert PASSWORD not in str(row.__dict__)
        assert "wrong password" not in str(row.__dict__)


@pytest.mark.django_db
def test_counts_are_kept_in_the_database_for_every_process(client, counselor) -> None:
    """Another process (here: a fresh client, and no cache) sees the same count."""
    fail_times(client, "counselor", 3)
    assert LoginThrottle.objects.get(username_key="counselor").failures == 3
    fail_times(Client(), "counselor", 2)
    assert attempt(Client(), "counselor", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_admin_login_page_redirects_to_the_app_login(client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_old_counts_are_forgotten(client, counselor) -> None:
    fail_times(client, "guessed-name-1", 1)
    later = timezone.now() + dt.timedelta(minutes=16)
    with mock.patch("django.utils.timezone.now", return_value=later):
        fail_times(client, "counselor", 1)
    assert set(LoginThrottle.objects.values_list("username_key", flat=True)) == {"counselor"}
