"""Session rules applied on every request, after authentication."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty

LOGIN_AT_KEY = "login_at"
SEEN_AT_KEY = "seen_at"
# The inactivity timeout is renewed at most this often: saving the session on every request
# cost a database write and a commit per page view (bench/, the load test).
SESSION_RENEW_SECONDS = 60

# What a user who still owes the second factor may open: the step itself, logging out and the
# language switch. Everything else (the admin included) redirects to the step.
OTP_OPEN_VIEWS = {
    "verify": {"accounts:otp_verify", "accounts:logout", "set_language", "healthz"},
    "enrol": {"accounts:otp_enrol", "accounts:logout", "set_language", "healthz"},
}


class ResolvedUserMiddleware:
    """`request.user` as the user itself, not wrapped in lazy proxies.

    AuthenticationMiddleware and django-otp's OTPMiddleware each wrap it in a
    SimpleLazyObject, so every attribute read went through two proxies: about 700 reads a
    page (templates, scope checks, the audit row), 2–3 % of a daily page's time
    (scripts/profile_pages.py). Every page but the login, the language switch and the health
    check needs the user anyway; a request without a session resolves to AnonymousUser
    without a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = resolved(request.user)
        return self.get_response(request)


def resolved(value: Any) -> Any:
    """The object behind any number of LazyObject wrappers, evaluated."""
    while isinstance(value, LazyObject):
        if value._wrapped is empty:
            value._setup()
        value = value._wrapped
    return value


class ScopeMemoMiddleware:
    """Each user's scope ids are read once per request (`accounts.scope.
    personal_municipality_ids`): the home page's panels asked for them ten times."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts import scope

        token = scope.remember_scopes()
        try:
            return self.get_response(request)
        finally:
            scope.stop_remembering_scopes(token)


class SessionLifetimeMiddleware:
    """Ends a session SESSION_ABSOLUTE_SECONDS after login, however active it has been, and
    keeps an active one alive.

    The inactivity timeout is the session's own expiry (SESSION_COOKIE_AGE from its last
    save). Activity renews it by saving the session when the last renewal is more than
    SESSION_RENEW_SECONDS old, so a session ends between 29 and 30 idle minutes, and a page
    view does not write to the database each time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get(SESSION_KEY) is not None:
            now = timezone.now().timestamp()
            login_at = session.get(LOGIN_AT_KEY)
            if not isinstance(login_at, int | float):
                # A session from before this rule: its lifetime starts now.
                session[LOGIN_AT_KEY] = now
            elif now - login_at > settings.SESSION_ABSOLUTE_SECONDS:
                # Whose session it was: a form sent now is carried to their next login.
                request.expired_user_id = session.get(SESSION_KEY)  # type: ignore[attr-defined]  # a marker on this request, read by accounts.resume
                logout(request)
                return redirect_to_login(request.get_full_path())
            seen_at = session.get(SEEN_AT_KEY)
            if not isinstance(seen_at, int | float) or now - seen_at >= SESSION_RENEW_SECONDS:
                session[SEEN_AT_KEY] = now  # modified: saved, with a new expiry
        return self.get_response(request)


class ExpiredSessionMiddleware:
    """A request that needs a login and has none: say why, and never drop a sent form.

    A POST answered "log in first" gets the login page itself, carrying the form
    (accounts/resume.py) instead of a redirect that loses the body and ends in a 405 after
    the login. A GET redirect to the login page from a browser that had a session says the
    session ended (`expired=1`). Sits outside SessionLifetimeMiddleware, so its logout is
    covered too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        had_session = settings.SESSION_COOKIE_NAME in request.COOKIES
        arrived_anonymous = not request.user.is_authenticated
        response = self.get_response(request)
        if response.status_code != 302 or request.user.is_authenticated:
            return response
        # Logged out by this request (the logout view) is not "log in first".
        if not arrived_anonymous and not getattr(request, "expired_user_id", None):
            return response
        login_url = reverse(settings.LOGIN_URL)
        if not response.get("Location", "").startswith(login_url):
            return response
        if request.method == "POST":
            from accounts import resume

            if resume.should_resume(request):
                return resume.login_page_for_expired_post(request)
        if had_session and "expired=" not in response["Location"]:
            response["Location"] += ("&" if "?" in response["Location"] else "?") + "expired=1"
        return response


class OTPRequiredMiddleware:
    """Holds back a logged-in user who has not passed the second factor that is due
    (`accounts.otp.step_owed`; django-otp's OTPMiddleware, before this one, knows whether the
    session has passed it).

    Users with a confirmed device type a code after their password; admins (and staff)
    without one are sent to enrol and reach nothing else until they have.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        from accounts import otp

        if request.session.get(SESSION_KEY) is None:
            return None
        step = otp.step_owed(request)
        if step is None:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OTP_OPEN_VIEWS[step]:
            return None
        target = reverse("accounts:otp_enrol" if step == otp.ENROL else "accounts:otp_verify")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
