"""Choice widgets and inputs rendered in Python, with the markup of Django's own widget
templates.

Django renders a select, a radio group or a checkbox group with one template for the widget
and, for every option, an include of the option template, which includes the input template,
which includes the attrs template. On the case list's filter form and the record form that is
most of the forms' cost (issue #22); so is `{{ option.tag }}` for each option of a group
(includes/field.html renders the options itself). A text box, a date, a number, a checkbox, a
hidden input or a textarea is three templates (text.html includes input.html, which includes
attrs.html): the record form has seven of them. `render` builds the same HTML, byte for
byte, from the same context (`ChoiceWidget.get_context`: names, values, ids,
`selected`/`checked`, ARIA and other attrs, optgroups), with Django's own escaping and
localisation of each value:

- `{{ x }}` is `render_value_in_context` (localised, then escaped unless safe);
- `{{ x|stringformat:'s' }}` is `"%s" % x`, escaped unless `x` was safe.

`core.forms.FormRenderer.render` uses it only for these widget templates, and only while each
template of the chain resolves to Django's own file (a project or app override of any of them
is rendered by the templates again), and only when every option names Django's own option
template. Anything else returns None: the caller renders the template. tests/core/
test_widgets.py compares the two renderings for the project's forms in both languages.
"""

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeData

from core.rendering import template_text as _text  # `{{ value }}`

WIDGETS = "django/forms/widgets/"
SELECT = WIDGETS + "select.html"
RADIO = WIDGETS + "radio.html"
CHECKBOX_SELECT = WIDGETS + "checkbox_select.html"
OPTION = {
    SELECT: WIDGETS + "select_option.html",
    RADIO: WIDGETS + "radio_option.html",
    CHECKBOX_SELECT: WIDGETS + "checkbox_option.html",
}
INPUT = WIDGETS + "input.html"
ATTRS = WIDGETS + "attrs.html"
TEXTAREA = WIDGETS + "textarea.html"
# The <input> widgets: each template is `{% include "django/forms/widgets/input.html" %}`.
INPUTS = tuple(
    f"{WIDGETS}{name}.html"
    for name in (
        *("checkbox", "color", "date", "datetime", "email", "hidden", "number"),
        *("password", "search", "tel", "text", "time", "url"),
    )
)
# Every template the rendering of each widget stands for (all must be Django's own).
CHAINS = {
    **{name: (name, INPUT, ATTRS) for name in INPUTS},
    TEXTAREA: (TEXTAREA, ATTRS),
    SELECT: (SELECT, OPTION[SELECT], WIDGETS + "attrs.html"),
    **{
        name: (
            name,
            OPTION[name],
            WIDGETS + "multiple_input.html",
            WIDGETS + "input_option.html",
            WIDGETS + "input.html",
            WIDGETS + "attrs.html",
        )
        for name in (RADIO, CHECKBOX_SELECT)
    },
    # One option on its own: `{{ option.tag }}` in includes/field.html's option loop.
    OPTION[SELECT]: (OPTION[SELECT], WIDGETS + "attrs.html"),
    **{
        OPTION[name]: (
            OPTION[name],
            WIDGETS + "input_option.html",
            WIDGETS + "input.html",
            WIDGETS + "attrs.html",
        )
        for name in (RADIO, CHECKBOX_SELECT)
    },
}


def _string(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`."""
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)
    except (TypeError, ValueError):
        return ""
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_string(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _select_option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{_string(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
    )


def _input_option(option: dict[str, Any]) -> str:
    """radio_option.html / checkbox_option.html: input_option.html with input.html in it."""
    attrs = option["attrs"]
    value = option["value"]
    html = f'<input type="{_text(option["type"])}" name="{_text(option["name"])}"'
    if value is not None:
        html += f' value="{_string(value)}"'
    html += f"{_attrs(attrs)}>\n"
    if option["wrap_label"]:
        ident = attrs.get("id")
        label_for = f' for="{_text(ident)}"' if ident else ""
        html = f"<label{label_for}>{html} {_text(option['label'])}</label>"
    return html + "\n\n"


def _input(widget: dict[str, Any]) -> str:
    """input.html (text.html, number.html, hidden.html… include it)."""
    value = widget["value"]
    html = f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
    if value is not None:
        html += f' value="{_string(value)}"'
    return f"{html}{_attrs(widget['attrs'])}>"


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    text = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


def _select(widget: dict[str, Any], option_template: str) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != option_template:
                return None
            parts.append(f"\n  {_select_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _multiple(widget: dict[str, Any], option_template: str) -> str | None:
    """multiple_input.html (radio.html and checkbox_select.html include it)."""
    attrs = widget["attrs"]
    ident = attrs.get("id")
    css = attrs.get("class")
    parts = [
        "<div",
        f' id="{_text(ident)}"' if ident else "",
        f' class="{_text(css)}"' if css else "",
        ">",
    ]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{_text(group)}</label>")
        for option in options:
            if option["template_name"] != option_template:
                return None
            parts.append(f"<div>\n    {_input_option(option)}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def render(template_name: str, context: dict[str, Any]) -> str | None:
    """The widget's HTML as Django's templates would render it (stripped, as the renderer
    returns it), or None when this is not one of the widgets above or an option names another
    option template."""
    widget = context.get("widget")
    if not isinstance(widget, dict):
        return None
    try:
        if template_name in INPUTS:
            return _input(widget)
        if template_name == TEXTAREA:
            return _textarea(widget)
        if template_name == SELECT:
            return _select(widget, OPTION[SELECT])
        if template_name in (RADIO, CHECKBOX_SELECT):
            return _multiple(widget, OPTION[template_name])
        if template_name == OPTION[SELECT]:
            return _select_option(widget).strip()
        if template_name in (OPTION[RADIO], OPTION[CHECKBOX_SELECT]):
            return _input_option(widget).strip()
    except KeyError:  # a context this does not know: the templates render it
        return None
    return None
