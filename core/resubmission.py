"""One submission, one record: a second identical submission is recognised, not saved again.

Two guards, both in the services:
- the same form instance (its hidden `submission_token`) sent twice, by a double click or a
  retry, gets the first record back;
- the same content from the same user within DUPLICATE_SUBMISSION_WINDOW_SECONDS (the Back
  button refetches the form, with a fresh token, and the browser refills the fields) raises
  `DuplicateSubmission`: the page answers 「同じ内容の記録がすでにあります」 with a link to it,
  and a deliberate second identical record needs the explicit `confirm_duplicate` tick.

Every create form of the record-keeping apps uses the same pieces:

- the model has a `submission_token` column (`SubmittedOnce`; Consultation has its own,
  never empty);
- the form is a `SubmitOnceForm` (the hidden token, the tick) and passes
  `**form.submission()` to the service;
- the service, in this order:

      if first := first_submission(case.assessments.all(), submission_token):
          return first                                # the same form again
      ...validate...
      refuse_duplicate(same_content_queryset, allow=allow_duplicate)
      assessment, created = create_once(case.assessments.all(), submission_token, **fields)
      if not created:
          return assessment                           # the same form, at the same moment
      ...children, audit...

- the view calls the service through `core.saving.submit`, which keeps a DuplicateSubmission
  on the form for `includes/duplicate_confirm.html`.
"""

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tokens import SubmissionTokenField, issue_submission_token

MESSAGE = _(
    "同じ内容の記録がすでにあります（%(minutes)d分以内に同じ内容を保存しています）。"
    "二重に保存していないか確認してください。"
)
ELSEWHERE = _("この入力はすでに別の記録として送信されています。画面を開き直してください。")
CONFIRM_LABEL = _("同じ内容でもう1件記録する（二重登録ではありません）")


class DuplicateSubmission(ValidationError):
    """The same content was saved a moment ago; `existing` is that record."""

    def __init__(self, existing: Any) -> None:
        minutes = max(1, settings.DUPLICATE_SUBMISSION_WINDOW_SECONDS // 60)
        super().__init__(MESSAGE, code="duplicate", params={"minutes": minutes})
        self.existing = existing


def window_start() -> dt.datetime:
    """Records created after this are "a moment ago"."""
    return timezone.now() - dt.timedelta(seconds=settings.DUPLICATE_SUBMISSION_WINDOW_SECONDS)


class SubmittedOnce(models.Model):
    """The token of the form that created the row (empty for rows made otherwise)."""

    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        abstract = True


def first_submission[M: models.Model](
    records: models.QuerySet[M], token: uuid.UUID | None, *, elsewhere: Any = ELSEWHERE
) -> M | None:
    """The record this form made already (same token), looked for among `records`, where it
    must be (the case's assessments, the entry's outreach…). A token that made a record
    somewhere else is refused (with `elsewhere`): the first record is never shown outside
    its place."""
    if token is None:
        return None
    first = records.model._default_manager.filter(submission_token=token).first()
    if first is None:
        return None
    if not records.filter(pk=first.pk).exists():
        raise ValidationError(elsewhere, code="elsewhere")
    return first


def refuse_duplicate(same: models.QuerySet[Any], *, allow: bool, recent: bool = True) -> None:
    """Raise DuplicateSubmission with the newest of `same` (the user's records with this very
    content) created within the window, unless the user ticked `allow`. `recent=False` for
    records without a creation time (a plan's goals): any identical one counts."""
    if allow:
        return
    if recent:
        same = same.filter(created_at__gte=window_start())
    existing = same.order_by("-pk").first()
    if existing is not None:
        raise DuplicateSubmission(existing)


def create_once[M: models.Model](
    records: models.QuerySet[M], token: uuid.UUID | None, **fields: Any
) -> tuple[M, bool]:
    """Insert the row with the form's token: (row, True). The same form sent twice at once
    (the other request inserted first): (that first row, False)."""
    model = records.model
    try:
        with transaction.atomic():
            return model._default_manager.create(submission_token=token, **fields), True
    except IntegrityError:
        first = first_submission(records, token)
        if first is None:
            raise
        return first, False


class SubmitOnceForm(forms.Form):
    """Base (or mixin, with a ModelForm) for a form that creates a record: the hidden token
    issued with the form and the tick for a deliberate second identical record. A form sent
    without a token (an old page) gets a fresh one: it is still guarded by content."""

    submission_token = SubmissionTokenField(required=False)
    confirm_duplicate = forms.BooleanField(label=CONFIRM_LABEL, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicate: DuplicateSubmission | None = None
        if not self.is_bound:
            self.fields["submission_token"].initial = issue_submission_token()

    def editing(self) -> None:
        """The same form editing a saved record: no token, no tick (versions guard edits)."""
        del self.fields["submission_token"]
        del self.fields["confirm_duplicate"]

    def submission(self) -> dict[str, Any]:
        """The keyword arguments every create service takes for this guard."""
        data = self.cleaned_data
        return {
            "submission_token": data.get("submission_token") or uuid.uuid4(),
            "allow_duplicate": bool(data.get("confirm_duplicate")),
        }
