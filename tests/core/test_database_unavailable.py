"""A lost database connection: the user gets the 503 page, the next request works.

The requests go through Django's real WSGI handler (not the test client, which keeps the
connection open between requests), so the request_started / request_finished signals close
broken connections exactly as under gunicorn.
"""

from collections.abc import Iterator
from unittest import mock

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from accounts.models import User


class Browser:
    """A logged-in browser talking to the WSGI application."""

    def __init__(self, user: User) -> None:
        client = Client()
        client.force_login(user)
        self.cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        self.app = WSGIHandler()

    def get(self, path: str) -> tuple[int, str]:
        environ = RequestFactory()._base_environ(
            PATH_INFO=path, REQUEST_METHOD="GET", HTTP_COOKIE=self.cookie
        )
        status: list[str] = []
        response = self.app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(response).decode()
        finally:
            response.close()  # request_finished: Django closes an unusable connection
        return int(status[0].split()[0]), body


def terminate_current_backend() -> None:
    """Kill this thread's PostgreSQL session from a second connection (as a restart would)."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def browser(counselor) -> Iterator[Browser]:
    yield Browser(counselor)
    connection.close()


def assert_503_page(status: int, body: str) -> None:
    assert status == 503
    assert "一時的に利用できません" in body
    assert "Traceback" not in body and "OperationalError" not in body


@pytest.mark.django_db(transaction=True)
def test_connection_killed_between_requests_reconnects(browser) -> None:
    assert browser.get("/")[0] == 200
    if connection.vendor == "postgresql":
        terminate_current_backend()
        status, body = browser.get("/")
        # Health checks reconnect before the first query (or the request gets the 503 page).
        if status != 200:
            assert_503_page(status, body)
    else:
        connection.close()  # SQLite: a dropped file handle is reopened on demand
        assert browser.get("/")[0] == 200
    assert browser.get("/")[0] == 200


@pytest.mark.django_db(transaction=True)
def test_connection_lost_during_a_request_gives_503_then_the_next_request_works(
    browser,
) -> None:
    assert browser.get("/")[0] == 200

    def panels_with_a_dying_database(request):
        if connection.vendor == "postgresql":
            terminate_current_backend()
            User.objects.count()  # the next query on the dead connection raises
        raise OperationalError("database connection lost")  # SQLite: the same error, simulated

    with mock.patch("core.views.home_panels", panels_with_a_dying_database):
        assert_503_page(*browser.get("/"))
    # Closed at the end of the failed request; the next one connects afresh.
    status, body = browser.get("/")
    assert status == 200, body[:300]
    assert browser.get("/")[0] == 200


@pytest.mark.django_db
def test_503_page_has_a_retry_after_and_is_not_cached(login, counselor) -> None:
    client = login(counselor)
    with mock.patch("core.views.home_panels", side_effect=OperationalError("gone")):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert SESSION_KEY in client.session  # the session survived the outage
