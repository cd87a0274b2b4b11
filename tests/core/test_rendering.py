"""core.rendering.template_text is `{{ value }}`: for strings, safe strings, numbers, dates
and None, in both languages, with and without thousand separators."""

import datetime as dt
import itertools

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import mark_safe

from core.rendering import template_text

VALUE = Template("{{ value }}")
VALUES = [
    "高知<市>&",
    mark_safe("<b>safe</b>"),
    0,
    -5,
    12345,
    10**12,
    True,
    False,
    3.5,
    None,
    dt.date(2024, 4, 1),
]


@pytest.mark.parametrize("separator", [False, True])
def test_template_text_is_the_variable_node(settings, separator) -> None:
    settings.USE_THOUSAND_SEPARATOR = separator
    for language, value in itertools.product(("ja", "en"), VALUES):
        with translation.override(language):
            assert template_text(value) == VALUE.render(Context({"value": value})), (
                language,
                value,
            )
    if separator:
        with translation.override("en"):
            assert template_text(12345) == "12,345"  # the separator is honoured


NUMBERS = [
    0,
    7,
    -7,
    999,
    1000,
    -1000,
    12345,
    -1234567,
    10**12,
    10**99,
    10**120,
    True,
    None,
    "",
    "x",
    "12345",
    3.5,
    1234.5,
]


@pytest.mark.parametrize("separator", [False, True])
def test_intcomma_is_the_filter(settings, separator) -> None:
    """In the app's languages and in locales that group otherwise (de: '.', fr: a narrow
    space, hi: 3 then 2)."""
    from django.contrib.humanize.templatetags.humanize import intcomma as humanize_intcomma

    from core.rendering import intcomma

    settings.USE_THOUSAND_SEPARATOR = separator
    for language, value in itertools.product(("ja", "en", "de", "fr", "hi"), NUMBERS):
        with translation.override(language):
            assert intcomma(value) == str(humanize_intcomma(value)), (language, value)
    with translation.override("de"):
        assert intcomma(1234567) == "1.234.567"


def test_date_is_the_filter() -> None:
    from django.template.defaultfilters import date as date_filter

    from core.rendering import date

    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(0, 366, 7)]
    values = [*days, dt.datetime(2024, 4, 1, 23, 30, tzinfo=dt.UTC), None, ""]
    names = ["MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT"]
    for language, value, name in itertools.product(("ja", "en", "de"), values, names):
        with translation.override(language):
            assert date(value, name) == str(date_filter(value, name)), (language, value, name)
    with translation.override("ja"):
        assert date(dt.date(2024, 4, 1), "MONTH_DAY_FORMAT") == "4月1日"
