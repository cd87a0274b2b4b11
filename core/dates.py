"""The one way a date is shown: 2026年12月2日, or 令和8年12月2日 for users who chose 和暦
(「表示設定」). Templates use `{{ value|day }}` (core.templatetags.dates); exports and the audit
trail call `format_day`.

The user's choice is read lazily, through the request remembered by `DateStyleMiddleware`, so
pages that show no date cost nothing.
"""

import datetime as dt
import functools
from contextvars import ContextVar
from typing import Any

from django.utils import formats, translation

from core.wareki import format_wareki

WESTERN = "western"
WAREKI = "wareki"

current_request: ContextVar[Any] = ContextVar("current_request", default=None)


def current_style() -> str:
    request = current_request.get()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return WESTERN
    return getattr(user, "date_style", WESTERN) or WESTERN


def format_day(day: dt.date | dt.datetime | str | None, style: str | None = None) -> str:
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        # A value not yet converted (a form's raw input shown back): as typed.
        return day
    if isinstance(day, dt.datetime):
        from django.utils import timezone

        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    language = translation.get_language()
    return _formatted(day, style or current_style(), language, formats.get_format("DATE_FORMAT"))


@functools.lru_cache(maxsize=8192)
def _formatted(day: dt.date, style: str, language: str | None, date_format: str) -> str:
    """A day as shown: the same few hundred days fill every list, so each is formatted once
    per style, language and format (Django's date formatting was ~5% of the case list's
    CPU, scripts/profile_pages.py). The format is part of the key: a changed setting is seen."""
    if style == WAREKI and language == "ja":
        try:
            return format_wareki(day)
        except ValueError:
            pass
    return formats.date_format(day, date_format)


class DateStyleMiddleware:
    """Remember the request for `current_style` while it is answered."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
