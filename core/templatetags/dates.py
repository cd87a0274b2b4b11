"""`{{ value|day }}`: a date in the one display format, 和暦 when the user chose it."""

import datetime as dt

from django import template

from core.dates import format_day

register = template.Library()


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    return format_day(value)


@register.filter
def day_time(value: dt.datetime | None, precision: str = "") -> str:
    """A moment: the day as `day`, then the local time; `|day_time:"seconds"` for the audit
    trail."""
    if value is None:
        return ""
    from django.utils import timezone

    local = timezone.localtime(value) if timezone.is_aware(value) else value
    clock = f"{local:%H:%M:%S}" if precision == "seconds" else f"{local:%H:%M}"
    return f"{format_day(local.date())} {clock}"
