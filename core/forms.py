"""The shared form machinery: one field-group template, one date field and widget, plain
Japanese messages.

- `FormRenderer` (settings.FORM_RENDERER) renders every field group with
  `templates/includes/field.html` (`{{ field.as_field_group }}`, `{% field_group field %}`, or
  the include; the first two build it in Python, `core.field_group`), so labels,
  hints, errors and their ARIA links are the same on every page. Its selects, radio and
  checkbox groups are built in Python with the same markup (`core.widgets`: one template per
  option was most of a filter or record form's cost).
- `BoundField` drops the browser's `maxlength` (which cuts pasted text silently) for a
  `data-maxlength` the counter script reads; the server refuses long text with a message.
- `DateField` / `DateInput`: a text box that takes 2026-12-02, 2026/12/2, R8.12.2,
  令和8年12月2日 or H31.4.1 (`core.wareki`).
- `add_service_errors`: a service's refusal (a ValidationError) shown on the form, next to
  the fields it names or at the top (`core.saving.submit` uses it for every form view).
- `JapaneseMessages`: a form mixin that phrases the default messages with the field's label
  (「理由を入力してください。」 instead of 「このフィールドは必須です。」) and reads
  「選択してください」 on empty choices.
"""

import datetime as dt
import os
from pathlib import Path
from typing import Any, cast

import django_filters
from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

from core import field_group, widgets
from core.wareki import parse_date, parse_year

EMPTY_LABEL = _("選択してください")
DJANGO_EMPTY_LABEL = "---------"
DJANGO_FORM_TEMPLATES = str(Path(forms.__file__).resolve().parent / "templates") + os.sep


class BoundField(forms.BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        limit = widget.attrs.get("maxlength")
        if limit and not widget.is_hidden:
            attrs["maxlength"] = False  # the template omits an attribute set to False
            attrs["data-maxlength"] = limit
            described = attrs.get("aria-describedby")
            counter = f"{self.auto_id}_counter"
            attrs["aria-describedby"] = (
                f"{described} {counter}" if isinstance(described, str) and described else counter
            )
        return attrs


class FormRenderer(TemplatesSetting):
    field_template_name = "includes/field.html"
    bound_field_class = BoundField

    def __init__(self) -> None:
        super().__init__()
        self._django_own: dict[str, bool] = {}

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        # The field group: the same HTML built in Python (core.field_group), stripped as
        # Django strips a rendered template.
        if template_name == self.field_template_name == field_group.TEMPLATE and isinstance(
            context.get("field"), forms.BoundField
        ):
            return field_group.render(context["field"]).strip()
        # Selects, radio and checkbox groups: the same HTML built in Python (core.widgets),
        # not one include per option, while their templates are Django's own.
        if template_name in widgets.CHAINS and self._is_django_own(template_name):
            html = widgets.render(template_name, context)
            if html is not None:
                return html
        return super().render(template_name, context, request)

    def _is_django_own(self, template_name: str) -> bool:
        own = self._django_own.get(template_name)
        if own is None:
            origins = [self.get_template(name) for name in widgets.CHAINS[template_name]]
            own = self._django_own[template_name] = all(
                template is not None
                and str(Path(template.origin.name).resolve()).startswith(DJANGO_FORM_TEMPLATES)
                for template in origins
            )
        return own


class DateInput(forms.TextInput):
    """A date typed in Western or 和暦 form; shown as 2026-12-02."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "inputmode": "text",
            "autocomplete": "off",
            "placeholder": _("例：2026-12-02、R8.12.2"),
            "class": "input--date",
            "size": 14,
        }
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.date):
            return value.isoformat()
        formatted = super().format_value(value)
        return None if formatted is None else str(formatted)


class DateField(forms.DateField):
    widget = DateInput
    default_error_messages = {
        "invalid": _(
            "日付は 2026-12-02、2026/12/2、R8.12.2、令和8年12月2日 のように入力してください。"
        ),
    }

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        day = parse_date(str(value))
        if day is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return day


class DateFilter(django_filters.DateFilter):
    field_class = DateField


class YearField(forms.IntegerField):
    """A year typed as 1985, S60 or 昭和60 (birth years on municipal forms)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "text", "size": 8}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        year = parse_year(str(value))
        if year is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return year


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's model choice field `name`, typed as one (`form.fields` holds plain `Field`s)."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field `name`, typed as one (`form.fields` holds plain `Field`s)."""
    return cast(forms.ChoiceField, form.fields[name])


class _ChoicesInOneQuery(forms.models.ModelChoiceIterator[Any]):
    """A model field's choices in one plain SELECT. Django's `iterator()` asks PostgreSQL for
    a server-side cursor, DECLARE … WITH HOLD, FETCH and CLOSE: three round trips (and the
    rows materialised at the commit) for a few dozen choices the page renders whole anyway
    (issue #22: two of the case list's nine statements)."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ChoicesInOneQuery(django_filters.fields.ModelChoiceIterator[Any], _ChoicesInOneQuery):
    """django-filters' iterator (its null choice) over `_ChoicesInOneQuery`."""


class _ModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ChoicesInOneQuery


class _ModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    iterator = ChoicesInOneQuery


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filters' ModelChoiceFilter, its choices read in one query."""

    field_class = _ModelChoiceField


class ModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """django-filters' ModelMultipleChoiceFilter, its choices read in one query."""

    field_class = _ModelMultipleChoiceField


def model_choice_filter(
    filterset: django_filters.FilterSet, name: str
) -> django_filters.filters.QuerySetRequestMixin:
    """The filterset's model choice filter `name`, typed as one (`filters` holds `Filter`s)."""
    return cast(django_filters.filters.QuerySetRequestMixin, filterset.filters[name])


def _label(field: forms.Field, name: str) -> str:
    return str(field.label or name)


def japanese_messages(form: forms.BaseForm) -> None:
    """Rephrase Django's generic messages with each field's label; keep the form's own.

    An unbound form never shows a message: it gets only what it renders (the empty choice's
    label), not the messages and validators (a tenth of a daily GET's form setup)."""
    for name, field in form.fields.items():
        if not form.is_bound:
            _empty_labels(field)
            continue
        label = _label(field, name)
        messages = field.error_messages
        choice = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
        defaults = {
            "required": (
                _("%(label)sを選んでください。") if choice else _("%(label)sを入力してください。")
            )
            % {"label": label},
        }
        if isinstance(field, forms.IntegerField) and not isinstance(field, YearField):
            defaults["invalid"] = _("%(label)sは半角の整数で入力してください。") % {"label": label}
        for key, text in defaults.items():
            if str(messages.get(key, "")) == str(_default_message(field, key)):
                messages[key] = text
        field.validators = [_rephrase(v, label) for v in field.validators]
        _empty_labels(field)


def _empty_labels(field: forms.Field) -> None:
    """The empty choice reads EMPTY_LABEL, not Django's dashes."""
    if getattr(field, "empty_label", None) == DJANGO_EMPTY_LABEL:
        field.empty_label = EMPTY_LABEL  # type: ignore[attr-defined]  # any field with one
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        choices: Any = field.choices
        field.choices = [
            (value, EMPTY_LABEL if value == "" and text == DJANGO_EMPTY_LABEL else text)
            for value, text in choices
        ]


def _default_message(field: forms.Field, key: str) -> Any:
    for cls in type(field).__mro__:
        defaults = getattr(cls, "default_error_messages", {})
        if key in defaults:
            return defaults[key]
    return None


def _rephrase(validator: Any, label: str) -> Any:
    if type(validator) is validators.MaxLengthValidator:
        return validators.MaxLengthValidator(
            validator.limit_value,
            _("%(label)sは%(limit)s文字以内で入力してください（今は%(count)s文字です）。")
            % {"label": label, "limit": validator.limit_value, "count": "%(show_value)d"},
        )
    if type(validator) is validators.MinValueValidator:
        return validators.MinValueValidator(
            validator.limit_value,
            _("%(label)sは%(limit)s以上で入力してください。")
            % {"label": label, "limit": validator.limit_value},
        )
    if type(validator) is validators.MaxValueValidator:
        return validators.MaxValueValidator(
            validator.limit_value,
            _("%(label)sは%(limit)s以下で入力してください。")
            % {"label": label, "limit": validator.limit_value},
        )
    return validator


class JapaneseMessages:
    """Mixin for forms: see `japanese_messages`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        japanese_messages(cast(forms.BaseForm, self))  # a mixin: self is the form


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names; a name the form has no
    field for (or an error without names) goes at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
