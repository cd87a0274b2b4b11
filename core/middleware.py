"""Cross-cutting request and response rules: language, no caching of personal data, a 503 when
the database is gone."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from core.errors import bad_request, service_unavailable

DATABASE_ERRORS = (OperationalError, InterfaceError)


class RejectNulMiddleware:
    """A NUL byte in the path or the query string gets a 400 page with a message.

    Nothing legitimate sends one, and PostgreSQL refuses it in a text value: a search for
    `?q=%00` would otherwise end as a 500 page. Form fields already refuse it (Django's
    ProhibitNullCharactersValidator) with a message next to the field.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return bad_request(
                request,
                reason=_(
                    "URLに使えない文字（NUL）が含まれています。入力した内容を確認してください。"
                ),
            )
        return self.get_response(request)


class NoStoreForAuthenticatedMiddleware:
    """Every response to a logged-in user is `Cache-Control: no-store, private`.

    Pages behind login show personal data; no browser, proxy or shared computer may keep a
    copy. Static files are answered earlier by WhiteNoise and keep their long cache. The check
    reads the session (already loaded for the login check), not the user row: no extra query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        logged_in = session is not None and session.get(SESSION_KEY) is not None
        if logged_in and not request.path.startswith(self.static_prefix):
            patch_cache_control(response, no_store=True, private=True)
        return response


class DatabaseUnavailableMiddleware:
    """A lost database connection gives the 503 page, not a 500 with a stack trace.

    Django closes a connection that raised and is no longer usable when the request ends
    (`close_old_connections` on `request_finished`), and with CONN_HEALTH_CHECKS it checks a
    persistent connection before reusing it: the next request connects afresh. Errors raised
    before the view (loading the session) reach `core.errors.server_error`, which answers
    503 for the same errors.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            return service_unavailable(request, exception)
        return None


class LanguageMiddleware:
    """Japanese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; on shared municipal
    PCs that is often English by accident, so only the explicit choice (the cookie) counts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
