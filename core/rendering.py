"""`{{ value }}` in Python: for the markup built in Python beside its template, byte for byte
(core.widgets, core.field_group, the case list's, the case page's and the home page's rows in
cases_tags and referrals_tags; each template stays the definition and its test compares both).
"""

import datetime as dt
import functools
import html
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma as humanize_intcomma
from django.core.signals import setting_changed
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext

# What `render_value_in_context` reads from a template context (the defaults of one).
DEFAULT_CONTEXT: Any = SimpleNamespace(autoescape=True, use_l10n=None, use_tz=None)


def template_text(value: Any, context: Any = DEFAULT_CONTEXT) -> str:
    """`{{ value }}` in `context`: localised, then escaped unless safe (a plain str, the common
    case, is only escaped: localize() and template_localtime() leave it as it is; an int
    without thousand separators is its digits, which localize() gives after reading three
    locale formats: a dashboard renders hundreds)."""
    kind = type(value)
    if kind is str:  # `escape` itself, less its check for a lazy argument
        return SafeString(html.escape(value))
    if kind is SafeString:  # localize() and conditional_escape() give it back as it is
        safe: SafeString = value
        return safe
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return render_value_in_context(value, context)


def counted(
    singular: str, plural: str, name: str, count: int, context: Any = DEFAULT_CONTEXT
) -> str:
    """`{% blocktranslate count name=count %}singular{% plural %}plural{% endblocktranslate %}`,
    the msgids spelled with `%(name)s` as the tag spells them."""
    return ngettext(singular, plural, count) % {name: template_text(count, context)}


@functools.cache
def _grouping(language: str | None) -> tuple[int, str]:
    """The language's NUMBER_GROUPING and THOUSAND_SEPARATOR (what `number_format` reads
    each time: three locale lookups)."""
    return get_format("NUMBER_GROUPING", language), get_format("THOUSAND_SEPARATOR", language)


def intcomma(value: Any) -> str:
    """`{{ value|intcomma }}` (django.contrib.humanize): an int grouped by threes, as the
    filter gives it, without its Decimal and locale lookups (the dashboard groups hundreds);
    anything else through the filter itself."""
    if type(value) is int and -(10**100) < value < 10**100:  # (longer: scientific notation)
        grouping, separator = _grouping(get_language())
        if grouping == 3:
            return f"{value:,}".replace(",", separator)
        if grouping == 0:
            return str(value)
    return str(humanize_intcomma(value))


@functools.cache
def _date_pieces(language: str | None, name: str) -> tuple[tuple[bool, str], ...]:
    """A named format (MONTH_DAY_FORMAT) of the language split as `DateFormat.format` splits
    it each time: (is a format character, text)."""
    pieces = re_formatchars.split(str(get_format(name, language)))
    return tuple(
        (True, piece) if index % 2 else (False, re_escaped.sub(r"\1", piece))
        for index, piece in enumerate(pieces)
        if piece
    )


def date(value: Any, name: str) -> str:
    """`{{ value|date:"NAME_FORMAT" }}` for a date (not a datetime: those go through the
    filter, for their time zone): the format read and split once per language."""
    if type(value) is not dt.date:
        return str(date_filter(value, name))
    formatter = DateFormat(value)
    return "".join(
        str(getattr(formatter, text)()) if is_char else text
        for is_char, text in _date_pieces(get_language(), name)
    )


def _forget_formats(**kwargs: Any) -> None:
    """A setting changed (the tests' `settings` fixture): formats are read again."""
    _grouping.cache_clear()
    _date_pieces.cache_clear()


setting_changed.connect(_forget_formats)
