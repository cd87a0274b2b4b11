"""Sessions: inactivity timeout, absolute lifetime, deactivation, a new key at login."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LOGIN_AT_KEY, SESSION_RENEW_SECONDS
from audit.models import AuditEvent

PASSWORD = "correct horse battery staple"


def at(minutes: float):
    """Pretend the clock reads `minutes` from now (sessions and middleware read timezone.now)."""
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(minutes=minutes)
    )


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_idle_timeout_is_30_minutes_renewed_by_activity_at_most_once_a_minute() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert SESSION_RENEW_SECONDS == 60


@pytest.mark.django_db
def test_a_request_within_the_minute_does_not_write_the_session(login, counselor) -> None:
    client = login(counselor)
    client.get("/")  # renews (the first request after login)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    with at(1.5), CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


@pytest.mark.django_db
def test_session_ends_after_30_idle_minutes(login, counselor) -> None:
    client = login(counselor)
    assert client.get("/").status_code == 200
    with at(31):
        assert goes_to_login(client.get("/"))


@pytest.mark.django_db
def test_activity_keeps_the_session_alive(login, counselor) -> None:
    client = login(counselor)
    with at(25):
        assert client.get("/").status_code == 200
    with at(50):  # 25 minutes after the last request, 50 after login
        assert client.get("/").status_code == 200
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expiry > timezone.now() + dt.timedelta(minutes=50 + 29)


@pytest.mark.django_db
def test_session_ends_after_the_absolute_lifetime_however_active(login, counselor) -> None:
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    client = login(counselor)
    session = client.session
    session[LOGIN_AT_KEY] = (timezone.now() - dt.timedelta(hours=12, minutes=1)).timestamp()
    session.save()
    response = client.get("/")
    assert goes_to_login(response)
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, user=counselor).exists()


@pytest.mark.django_db
def test_session_within_the_absolute_lifetime_continues(login, counselor) -> None:
    client = login(counselor)
    session = client.session
    session[LOGIN_AT_KEY] = (timezone.now() - dt.timedelta(hours=11, minutes=59)).timestamp()
    session.save()
    assert client.get("/").status_code == 200


@pytest.mark.django_db
@override_settings(SESSION_ABSOLUTE_SECONDS=60)
def test_absolute_lifetime_is_a_setting(login, counselor) -> None:
    client = login(counselor)
    with at(0.5):
        assert client.get("/").status_code == 200
    with at(1.5):
        assert goes_to_login(client.get("/"))


@pytest.mark.django_db
def test_login_stamps_the_session_start(login, counselor) -> None:
    before = timezone.now().timestamp()
    client = login(counselor)
    assert before - 1 <= client.session[LOGIN_AT_KEY] <= timezone.now().timestamp()


@pytest.mark.django_db
def test_deactivated_user_is_logged_out_on_the_next_request(login, counselor) -> None:
    client = login(counselor)
    assert client.get("/").status_code == 200
    counselor.is_active = False
    counselor.save()
    assert goes_to_login(client.get("/"))
    assert goes_to_login(client.get(reverse("accounts:password_change")))


@pytest.mark.django_db
def test_session_key_changes_at_login(counselor) -> None:
    """No session fixation: a key planted before login is not the key after it."""
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    response = client.post(
        reverse("accounts:login"), {"username": "counselor", "password": PASSWORD}
    )
    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    assert client.session[SESSION_KEY] == str(counselor.pk)


@pytest.mark.django_db
def test_logout_is_post_only_and_ends_the_session(login, counselor) -> None:
    client = login(counselor)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert goes_to_login(client.get("/"))
