"""Error pages: plain, in the user's language, never a stack trace or a record's data."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)


def _render(
    request: HttpRequest | None,
    template: str,
    status: int,
    context: dict[str, object] | None = None,
) -> HttpResponse:
    try:
        body = loader.render_to_string(template, context or {}, request)
    except Exception:
        # The error page itself must not fail (e.g. while the database is down): plain.html
        # uses no tags and no translation; the status as text is not localized either.
        body = loader.render_to_string("errors/plain.html", {"status": str(status)})
    return HttpResponse(body, status=status)


def bad_request(
    request: HttpRequest, exception: Exception | None = None, *, reason: str = ""
) -> HttpResponse:
    return _render(request, "errors/400.html", 400, {"reason": reason})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "errors/403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "errors/404.html", 404)


def service_unavailable(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The database cannot be reached: 503, and the next request reconnects."""
    logger.error("Database unavailable (%s)", type(exception).__name__, exc_info=exception)
    # Rendered without the request: its context processors would query the database.
    response = _render(None, "errors/503.html", 503)
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Called inside the `except` of Django's handler: a database error raised before the view
    # (loading the session or the user) still gets the 503 page.
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return service_unavailable(request, exception)
    return _render(None, "errors/500.html", 500)
