"""Optimistic locking for edits: the second of two concurrent saves is refused, not merged.

A model that can be edited by two people at once has `version = PositiveIntegerField(default=1)`.
The edit form carries the version it was loaded with (a hidden field); the update service
writes only if the row still has that version, and bumps it in the same statement:

    from core.concurrency import update_with_version_or_raise

    @transaction.atomic
    def case_update(*, user, case, version: int, fields: dict[str, Any], request=None) -> Case:
        ...validate...
        update_with_version_or_raise(Case, pk=case.pk, version=version, **fields)
        audit_record(action=Action.UPDATE, request=request, obj=case, changed_fields=...)

and the view shows the refusal as a form error (nothing saved, the first edit kept), with the
other person's saved version beside the user's own text: the view passes `core.saving.submit`
a `latest` that reads the record again and returns its `SavedVersion`; `rebase_on_saved` puts
it on the form for `includes/conflict.html`.

Every versioned update in every app goes through `update_with_version`: one statement shape,
one message, one argument name (`version`).

The check and the write are one UPDATE … WHERE version = v statement, so it holds under
concurrency on every database: on PostgreSQL the second UPDATE waits for the first to commit,
then re-reads the row, finds the new version and matches nothing.
"""

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.forms import BaseForm
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STALE_MESSAGE = _(
    "ほかの人がこの記録を先に更新しました。あなたの変更は保存されていません。"
    "相手が保存した内容とあなたの入力を並べて表示しています。確認して、もう一度保存してください。"
)


class StaleEdit(ValidationError):
    """The record changed since the form was loaded (a ValidationError with code "conflict",
    so every form view shows it like any refusal; the merge view looks for the code)."""

    message = STALE_MESSAGE

    def __init__(self, message: Any = None) -> None:
        super().__init__(message if message is not None else STALE_MESSAGE, code="conflict")


def is_stale(error: ValidationError) -> bool:
    """Whether a service's refusal says "someone saved first"."""
    return isinstance(error, StaleEdit) or getattr(error, "code", None) == "conflict"


def update_with_version(
    queryset: models.QuerySet[Any] | type[models.Model],
    *,
    version: int,
    pk: Any = None,
    **fields: Any,
) -> bool:
    """Write `fields` and bump `version` if the row still has the `version` the form had.

    `queryset` is a queryset narrowed to the one row (or a model class plus `pk`). Returns
    True when the row was updated, False when someone else saved first (or the row is gone).
    `updated_at` is set too when the model has one (`update()` skips `auto_now`).
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if pk is not None:
        queryset = queryset.filter(pk=pk)
    field_names = {f.name for f in queryset.model._meta.get_fields()}
    if "updated_at" in field_names:
        fields.setdefault("updated_at", timezone.now())
    updated = queryset.filter(version=version).update(**fields, version=F("version") + 1)
    if updated > 1:
        # A queryset matching several rows would bump them all: a programming error.
        raise ValueError("update_with_version must target exactly one row")
    return updated == 1


def update_with_version_or_raise(
    queryset: models.QuerySet[Any] | type[models.Model],
    *,
    version: int,
    pk: Any = None,
    **fields: Any,
) -> None:
    """The same, raising `StaleEdit` when the row changed since it was read."""
    if not update_with_version(queryset, version=version, pk=pk, **fields):
        raise StaleEdit()


class SavedValue(NamedTuple):
    """One value of the saved record as shown: its label, the value, the form field it came
    from ("" when the page's form does not ask for it), and whether it differs from what the
    refused editor typed in that field (set by `rebase_on_saved`)."""

    label: str
    value: str
    field: str = ""
    differs: bool = False


class SavedVersion(NamedTuple):
    """The record as the other person saved it: its version now, and its values as
    shown, for the refused editor to read beside their own text."""

    version: int
    values: list[SavedValue]

    @classmethod
    def of_form(cls, form: BaseForm) -> "SavedVersion":
        """As an unbound edit form of the freshly read record shows it: the `version` field's
        initial value and every visible field (`saved_values`)."""
        return cls(int(form["version"].initial), saved_values(form))

    @classmethod
    def of_fields(cls, record: models.Model, names: Iterable[str]) -> "SavedVersion":
        """As the freshly read record's own fields `names` show it (labelled with their
        verbose names), for a page whose form asks for a change rather than the record's
        values: the case's status page."""
        rows = []
        for name in names:
            field = record._meta.get_field(name)
            value = (
                getattr(record, f"get_{name}_display")()
                if getattr(field, "choices", None)
                else getattr(record, name)
            )
            rows.append(SavedValue(str(getattr(field, "verbose_name", name)), _shown(value)))
        version: int = record.version  # type: ignore[attr-defined]  # a versioned model
        return cls(version, rows)


def _shown(value: Any) -> str:
    return "" if value in (None, "") else str(value)


def _shown_value(field: Any, value: Any) -> str:
    """A form field's value as the conflict box shows it: choices by their labels (several
    joined with 、), a model instance or a primary key alike, text as it is."""
    if isinstance(value, list | tuple) or hasattr(value, "all"):
        items = list(value.all() if hasattr(value, "all") else value)
        choices = {str(k): str(v) for k, v in getattr(field, "choices", [])}
        return "、".join(choices.get(str(getattr(i, "pk", i)), str(i)) for i in items)
    if hasattr(field, "choices") and value not in (None, ""):
        choices = {str(k): str(v) for k, v in field.choices}
        key = str(getattr(value, "pk", value))
        return choices.get(key, str(value))
    return _shown(value)


def saved_values(form: Any) -> list[SavedValue]:
    """Each visible field of an unbound form of the saved record, as shown: what the other
    person saved, shown beside the refused editor's own text."""
    return [
        SavedValue(str(bound.label), _shown_value(bound.field, bound.initial), bound.name)
        for bound in form.visible_fields()
    ]


def _same(a: str, b: str) -> bool:
    """Equal as a reader sees them: line endings and surrounding blanks aside."""
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def marked_differences(form: BaseForm, values: list[SavedValue]) -> list[SavedValue]:
    """`values` with `differs` set where the user's valid input in the same field shows
    otherwise: the rows to compare before saving on top of the other person's."""
    typed = getattr(form, "cleaned_data", None) or {}
    marked = []
    for row in values:
        differs = (
            bool(row.field)
            and row.field in form.fields
            and row.field in typed
            and not _same(_shown_value(form.fields[row.field], typed[row.field]), row.value)
        )
        marked.append(row._replace(differs=differs))
    return marked


def rebase_on_saved(form: BaseForm, saved: SavedVersion) -> None:
    """After a refused save: the user's own input stays in `form`, now carrying the saved
    version, so that saving once more knowingly writes on top of the other person's; the saved
    values go on `form.theirs` (shown by includes/conflict.html) and the refusal on the form.

    The form was valid for the version it was loaded with; only its version changes."""
    mine = QueryDict(mutable=True)
    mine.update(form.data)  # a QueryDict's update keeps every value of a multiple choice
    mine[form.add_prefix("version")] = str(saved.version)
    form.data = mine
    theirs = marked_differences(form, saved.values)
    form.theirs = theirs  # type: ignore[attr-defined]  # read by includes/conflict.html
    form.add_error(None, StaleEdit.message)
