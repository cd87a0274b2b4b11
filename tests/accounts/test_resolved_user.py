"""`request.user` is the user itself by the time a view runs (accounts.middleware.
ResolvedUserMiddleware), with django-otp's second-factor state still on it."""

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import LazyObject, SimpleLazyObject

from accounts.middleware import resolved
from accounts.models import User


def test_resolved_unwraps_nested_lazy_objects_once() -> None:
    calls: list[str] = []

    def inner() -> str:
        calls.append("inner")
        return "the user"

    nested = SimpleLazyObject(lambda: SimpleLazyObject(inner))
    assert resolved(nested) == "the user"
    assert type(resolved(nested)) is str
    assert calls == ["inner"]
    assert resolved("plain") == "plain"


def test_a_signed_in_view_sees_the_user_not_a_proxy(login, counselor) -> None:
    response = login(counselor).get(reverse("home"))
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is User and not isinstance(user, LazyObject)
    assert user.pk == counselor.pk
    assert user.is_verified() is False  # django-otp's state survives the unwrapping


def test_an_admin_who_passed_the_second_factor_is_verified(login, admin_user) -> None:
    response = login(admin_user).get(reverse("home"))
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is User and user.is_verified() is True


def test_a_request_without_a_session_is_anonymous_without_a_query(client, db) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert isinstance(response.wsgi_request.user, AnonymousUser)
    assert not [q for q in queries.captured_queries if "session" in q["sql"].lower()]


def test_logout_leaves_the_request_anonymous(login, counselor) -> None:
    client = login(counselor)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert isinstance(response.wsgi_request.user, AnonymousUser)
    assert client.get(reverse("home")).status_code == 302
