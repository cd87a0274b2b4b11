"""Optimistic locking for edits: the second of two concurrent saves is refused, not merged.

A model that can be edited by two people at once has `version = PositiveIntegerField(default=1)`.
The edit form carries the version it was loaded with (a hidden field); the update service
writes only if the row still has that version, and bumps it in the same statement:

    from core.concurrency import StaleEdit, update_with_version

    @transaction.atomic
    def case_update(*, user, case, version: int, fields: dict[str, Any], request=None) -> Case:
        ...validate...
        if not update_with_version(Case.objects.filter(pk=case.pk), expected_version=version,
                                   **fields):
            raise StaleEdit()
        audit_record(action=Action.UPDATE, request=request, obj=case, changed_fields=...)

and the view shows `StaleEdit.message` as a form error (nothing saved, the first edit kept).

The check and the write are one UPDATE … WHERE version = v statement, so it holds under
concurrency on every database: on PostgreSQL the second UPDATE waits for the first to commit,
then re-reads the row, finds the new version and matches nothing.
"""

from typing import Any

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class StaleEdit(Exception):
    """The record changed since the form was loaded."""

    message = _(
        "ほかの人がこの記録を先に更新しました。あなたの変更は保存されていません。"
        "画面を開き直して最新の内容を確認してから、もう一度入力してください。"
    )

    def __init__(self, message: Any = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


def update_with_version(
    queryset: models.QuerySet[Any] | type[models.Model],
    *,
    expected_version: int,
    pk: Any = None,
    version_field: str = "version",
    **fields: Any,
) -> bool:
    """Write `fields` and bump the version if the row still has `expected_version`.

    `queryset` is a queryset narrowed to the one row (or a model class plus `pk`). Returns
    True when the row was updated, False when someone else saved first (or the row is gone).
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if pk is not None:
        queryset = queryset.filter(pk=pk)
    updated = queryset.filter(**{version_field: expected_version}).update(
        **fields, **{version_field: F(version_field) + 1}
    )
    if updated > 1:
        # A queryset matching several rows would bump them all: a programming error.
        raise ValueError("update_with_version must target exactly one row")
    return updated == 1


def update_with_version_or_raise(
    queryset: models.QuerySet[Any] | type[models.Model],
    *,
    expected_version: int,
    pk: Any = None,
    version_field: str = "version",
    **fields: Any,
) -> None:
    """The same, raising `StaleEdit` when the row changed since it was read."""
    if not update_with_version(
        queryset, expected_version=expected_version, pk=pk, version_field=version_field, **fields
    ):
        raise StaleEdit()
