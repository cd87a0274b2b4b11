from typing import Any

from django import template
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from core.dates import format_day

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """`{{ mapping|get_item:key }}`: a dictionary lookup with a variable key."""
    return mapping.get(key)


# --- The case list's rows, rendered in Python ------------------------------------------------
#
# A row of the case list through templates/cases/_case_row.html, with its two includes, cost
# ~40 variable lookups and three template renders: 50 rows were a third of the list's CPU
# (issue #22, scripts/profile_pages.py --templates). `{% case_row case %}` builds the same
# HTML, byte for byte, in Python. _case_row.html stays the readable definition of the row:
# tests/cases/test_case_row.py renders both for cases of every shape, in both languages, and
# requires them equal, so a change to one without the other fails there.

_STATUS_BADGE = {
    "active": "badge--success",
    "suspended": "badge--warning",
    "closed": "badge--muted",
}


def _v(value: Any, context: Any) -> str:
    """`{{ value }}`: localised, then escaped unless safe (a str is only escaped)."""
    if type(value) is str:
        return escape(value)
    return render_value_in_context(value, context)


def person_label_html(person: Any, context: Any) -> str:
    """templates/cases/_person_label.html."""
    if person.name:
        html = _v(person.name, context)
        if person.kana:
            html += f' <span class="kana muted">{_v(person.kana, context)}</span>'
    elif person.kana:
        html = _v(person.kana, context)
    else:
        html = f'<span class="muted">{_v(gettext("氏名未確認"), context)}</span>'
    return html + "\n"


def status_badge_html(case: Any, context: Any) -> str:
    """templates/cases/_status_badge.html."""
    badge = _STATUS_BADGE.get(case.status, "badge--key")
    return f'<span class="badge {badge}">{_v(case.get_status_display(), context)}</span>\n'


@register.simple_tag(takes_context=True)
def case_row(context: Any, case: Any) -> str:
    """templates/cases/_case_row.html for `case` (annotated with activity), with the
    context's `today` and `show_municipality`, and the case URLs of `case_urls` (a
    `core.links.UrlPattern` for cases:detail) when the view gives one."""
    today = context.get("today")
    next_on = case.next_action_on
    is_open = case.is_open
    due = bool(is_open and next_on and next_on <= today)
    if case.voided_at:
        row_class = ' class="is-voided"'
    elif due:
        row_class = ' class="row--alert"'
    else:
        row_class = ""
    urls = context.get("case_urls")
    url = urls(case.pk) if urls is not None else case.get_absolute_url()
    tags = case.issue_tags.all()
    tag_list = (
        '<ul class="tag-list">'
        + "".join(
            f'<li><span class="badge badge--muted">{_v(tag.name, context)}</span></li>'
            for tag in tags
        )
        + "</ul>"
        if tags
        else ""
    )
    municipality = (
        f'  <td class="nowrap">{_v(case.municipality.name, context)}</td>\n'
        if context.get("show_municipality")
        else "  \n"
    )
    counselor = case.assigned_counselor
    counselor_html = (
        _v(counselor.label, context)
        if counselor
        else f'<span class="muted">{_v(gettext("未定"), context)}</span>'
    )
    if next_on:
        next_html = _v(format_day(next_on), context)
        if due:
            word = gettext("今日") if next_on == today else gettext("期限切れ")
            next_html += f' <span class="badge badge--warning">{_v(word, context)}</span>'
    else:
        next_html = '<span class="muted">—</span>'
    return mark_safe(
        f"\n<tr{row_class}>\n"
        f'  <td><a class="case-number" href="{_v(url, context)}">{_v(case.number, context)}</a>\n'
        f"    {tag_list}</td>\n"
        f'  <td class="person">{person_label_html(case.person, context)}</td>\n'
        f"{municipality}"
        f'  <td class="nowrap">{_v(case.get_age_band_at_intake_display(), context)}</td>\n'
        f"  <td>{status_badge_html(case, context)}</td>\n"
        f'  <td class="nowrap">{counselor_html}</td>\n'
        f'  <td class="date">{_v(format_day(case.intake_date), context)}</td>\n'
        f'  <td class="date">{_v(format_day(case.last_seen_on), context)}</td>\n'
        f'  <td class="date">{next_html}</td>\n'
        "</tr>\n"
    )
