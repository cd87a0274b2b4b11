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
