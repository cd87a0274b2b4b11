"""One submission, one record: a second identical submission is recognised, not saved again.

Two guards, both in the services:
- the same form instance (its hidden `submission_token`) sent twice, by a double click or a
  retry, gets the first record back;
- the same content from the same user within DUPLICATE_SUBMISSION_WINDOW_SECONDS (the Back
  button refetches the form, with a fresh token, and the browser refills the fields) raises
  `DuplicateSubmission`: the page answers 「同じ内容の記録がすでにあります」 with a link to it,
  and a deliberate second identical record needs the explicit `confirm_duplicate` tick.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MESSAGE = _(
    "同じ内容の記録がすでにあります（%(minutes)d分以内に同じ内容を保存しています）。"
    "二重に保存していないか確認してください。"
)


class DuplicateSubmission(ValidationError):
    """The same content was saved a moment ago; `existing` is that record."""

    def __init__(self, existing: Any) -> None:
        minutes = max(1, settings.DUPLICATE_SUBMISSION_WINDOW_SECONDS // 60)
        super().__init__(MESSAGE, code="duplicate", params={"minutes": minutes})
        self.existing = existing


def window_start() -> dt.datetime:
    """Records created after this are "a moment ago"."""
    return timezone.now() - dt.timedelta(seconds=settings.DUPLICATE_SUBMISSION_WINDOW_SECONDS)
