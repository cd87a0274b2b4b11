"""Submission tokens: one form, one record, and only tokens the server issued.

A new-record form carries a random token in a hidden field so that submitting it twice
finds the first record instead of making a second. The token is signed with SECRET_KEY
(`django.core.signing`): the browser can send back a token it was given, never one it made
up. (A made-up token could be a ledger row's and capture that row at the next import:
issue 16, finding 1; the ledger derives its own, keyed tokens: exports/ledger.py.)
"""

import uuid

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

SALT = "core.tokens.submission"


def issue_submission_token() -> str:
    """A fresh signed token for a form's hidden field."""
    return signing.dumps(uuid.uuid4().hex, salt=SALT)


def read_submission_token(value: str) -> uuid.UUID:
    """The token inside a signed value; `signing.BadSignature` when it was not issued here."""
    return uuid.UUID(hex=signing.loads(value, salt=SALT))


class SubmissionTokenField(forms.CharField):
    """A hidden field holding a signed token; cleans to the token's UUID (None when empty)."""

    widget = forms.HiddenInput
    default_error_messages = {
        "invalid": _(
            "この画面の送信情報が正しくありません。画面を開き直してから、もう一度入力してください。"
        ),
    }

    def to_python(self, value: str | None) -> uuid.UUID | None:  # type: ignore[override]  # a UUID, not a str
        text = super().to_python(value)
        if not text:
            return None
        try:
            return read_submission_token(text)
        except (signing.BadSignature, ValueError, TypeError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def prepare_value(self, value: object) -> object:
        # Redisplay (a form with errors): the signed value as it came, never a bare UUID.
        if isinstance(value, uuid.UUID):
            return signing.dumps(value.hex, salt=SALT)
        return value
