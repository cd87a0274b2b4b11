"""templates/includes/field.html built in Python, byte for byte.

The field group template costs ~80 variable lookups and a template render per field: on the
case list's filter form (nine groups) and the case page's record form (seven) it was a third
of each page's template time (issue #22, scripts/profile_pages.py --templates). `render`
builds the same HTML from the same BoundField; the template stays the readable definition of
the markup and tests/core/test_field_group.py renders both, for the project's forms bound
and unbound, with errors, in both languages, and requires them equal.

Used through `{% field_group field %}` (core.templatetags.field_groups: the include's output,
whitespace and all) and `{{ field.as_field_group }}` (core.forms.FormRenderer: stripped, as
Django's renderer strips every template it renders).
"""

from typing import Any

from django.forms import BoundField
from django.utils.translation import gettext

from core.rendering import template_text as _v  # `{{ value }}`

TEMPLATE = "includes/field.html"


def _required(field: BoundField) -> str:
    if field.field.required:
        return f' <span class="required">{_v(gettext("必須"))}</span>'
    return ""


def _hint(field: BoundField, indent: str) -> str:
    if field.help_text:
        return (
            f'{indent}<p class="field__hint" id="{_v(field.auto_id)}_helptext">'
            f"{_v(field.help_text)}</p>\n"
        )
    return f"{indent}\n"


def _errors(field: BoundField, errors: Any, indent: str) -> str:
    if errors:
        items = "".join(f'<p class="field__error">{_v(error)}</p>' for error in errors)
        return f'{indent}<div id="{_v(field.auto_id)}_error">{items}</div>\n'
    return f"{indent}\n"


def render(field: BoundField, options_class: Any = None, empty: Any = None) -> str:
    """The include's output for `field` (with the include's optional `options_class` and
    `empty`)."""
    widget = field.field.widget
    errors = field.errors
    parts = [
        "\n\n",
        f'<div class="field{" field--error" if errors else ""}">\n  ',
    ]
    if field.use_fieldset:
        help_text = field.help_text
        described = ""
        if help_text or errors:
            ids = f"{_v(field.auto_id)}_helptext" if help_text else ""
            if errors:
                ids += f" {_v(field.auto_id)}_error"
            described = f' aria-describedby="{ids}"'
        options = "".join(
            f'<label class="choice" for="{_v(option.id_for_label)}">{_v(option.tag())} '
            f"<span>{_v(option.choice_label)}</span></label>"
            for option in field
        )
        if not options and empty:
            options = f'<p class="empty">{_v(empty)}</p>'
        parts += [
            f"\n    <fieldset{described}>\n",
            f'      <legend class="field__label">{_v(field.label)}{_required(field)}</legend>\n',
            _hint(field, "      "),
            _errors(field, errors, "      "),
            f'      <div class="{_v(options_class or "choices__options")}">{options}</div>\n',
            "    </fieldset>\n  ",
        ]
    elif getattr(widget, "input_type", None) == "checkbox":
        parts += [
            "\n",
            _errors(field, errors, "    "),
            f'    <div class="checkbox">{_v(field)} <label for="{_v(field.id_for_label)}">'
            f"{_v(field.label)}</label></div>\n",
            _hint(field, "    "),
            "  ",
        ]
    else:
        limit = widget.attrs.get("maxlength")
        counter = ""
        if limit and not widget.is_hidden:
            counter = (
                f'<p class="field__counter" id="{_v(field.auto_id)}_counter" '
                f'data-template="{_v(gettext("{n} / {max}文字"))}">'
                f"{gettext('%(limit)s文字以内') % {'limit': _v(limit)}}</p>"
            )
        parts += [
            f'\n    <label class="field__label" for="{_v(field.id_for_label)}">'
            f"{_v(field.label)}{_required(field)}</label>\n",
            _hint(field, "    "),
            _errors(field, errors, "    "),
            f"    {_v(field)}\n",
            f"    {counter}\n  ",
        ]
    parts.append("\n</div>\n\n")
    return "".join(parts)
