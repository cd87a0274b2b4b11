"""Logs and error reports that cannot leak records or be forged by user input.

- `SafeFormatter` escapes CR, LF and every other control character in a log message, so one
  record is always one line: a username such as "eve\\n2026-01-01 INFO forged" stays on the
  line of the record that quoted it. Traceback lines are kept but prefixed with "| ", so no
  continuation line can pass for a record of its own.
- `NoRequestDataExceptionReporterFilter` and `NoRequestDataExceptionReporter` keep request
  data (POST parameters, bodies, query strings, uploaded files) and local variables out of
  error reports: any of them may hold consultation notes or a person's name.
"""

import logging
import re
from typing import Any

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# C0 controls (tab, CR and LF included), DEL, C1 controls and the Unicode line and paragraph
# separators: anything a log viewer might show as a line break or a terminal might act on.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """The text on one line, its control characters written as escapes (\\n, \\x1b…)."""
    return _CONTROL.sub(_escape_char, text)


class SafeFormatter(logging.Formatter):
    """A formatter whose every record is one line, plus prefixed traceback lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_control(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return self._prefix_lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return self._prefix_lines(super().formatStack(stack_info))

    @staticmethod
    def _prefix_lines(text: str) -> str:
        # Exception messages may quote user input: escape each line's controls (not the line
        # breaks Python put there), then mark every line as a continuation.
        return "\n".join("| " + escape_control(line) for line in text.splitlines())


class NoRequestDataExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hides every POST parameter and every local variable, in production and in DEBUG."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, str]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


class NoRequestDataExceptionReporter(ExceptionReporter):
    """Leaves the query string, GET parameters, uploaded files and the body out of reports."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        substitute = self.filter.cleansed_substitute
        if self.request is not None:
            data["request_GET_items"] = [(key, substitute) for key in self.request.GET]
            data["request_FILES_items"] = [(key, substitute) for key in self.request.FILES]
            data["request_insecure_uri"] = self.request.path
        return data

    def _get_raw_insecure_uri(self) -> str:
        return self.request.path if self.request is not None else ""
