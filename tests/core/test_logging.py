"""Logs: one line per record whatever the input; error reports carry no request data."""

import io
import logging
import sys

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import get_exception_reporter_class

from core.logging import SafeFormatter, escape_control

FORGED = "eve\n2026-01-01 00:00:00,000 CRITICAL django.security forged line\r\x1b[2J"


def formatter() -> SafeFormatter:
    return SafeFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def test_control_characters_are_escaped() -> None:
    assert escape_control("a\nb\rc\td\x1be\x7ff\u2028") == "a\\nb\\rc\\td\\x1be\\x7ff\\u2028"
    assert escape_control("高知市 相談員") == "高知市 相談員"


def test_a_message_with_a_newline_stays_on_one_line() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "user %s", (FORGED,), None)
    line = formatter().format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "eve\\n2026-01-01" in line


def test_traceback_lines_are_marked_as_continuations() -> None:
    try:
        raise ValueError(FORGED)
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    lines = formatter().format(record).split("\n")
    assert lines[0].endswith("failed")
    assert all(line.startswith("| ") for line in lines[1:])
    assert not any(line.startswith("2026-01-01") for line in lines)


def test_settings_use_the_safe_formatter() -> None:
    from django.conf import settings

    assert settings.LOGGING["formatters"]["plain"]["()"] == "core.logging.SafeFormatter"
    handlers = logging.getLogger().handlers
    assert any(isinstance(h.formatter, SafeFormatter) for h in handlers)


@pytest.mark.django_db
def test_a_username_with_a_newline_cannot_forge_a_log_line(client, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 2
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter())
    logger = logging.getLogger("accounts.services")
    logger.addHandler(handler)
    try:
        for _ in range(2):
            client.post(reverse("accounts:login"), {"username": FORGED, "password": "x" * 12})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "Login locked for username eve\\n2026-01-01" in output
    assert output.count("\n") == 1  # one record, one line
    assert "\nCRITICAL" not in output and "\n2026" not in output


def test_error_reports_hide_post_data_query_strings_and_local_variables() -> None:
    notes = "母親から電話。本人は自室にいることが多い。"
    request = RequestFactory().post("/cases/1/consultations/?q=高知太郎", {"notes": notes})
    secret_local = notes  # noqa: F841 (a local variable the report must not show)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())
        text = reporter.get_traceback_text()
        html = reporter.get_traceback_html()
    for report in (text, html):
        assert notes not in report
        assert "高知太郎" not in report
        assert "%E9%AB%98" not in report  # nor URL-encoded
    assert "notes" in text  # the key is listed, its value hidden
