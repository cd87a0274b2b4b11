from typing import Any

from django import template
from django.template.defaultfilters import length, linebreaksbr, truncatechars
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

from core.dates import format_day
from core.links import page_pattern
from core.rendering import counted
from core.rendering import template_text as _v  # `{{ value }}`
from core.templatetags.dates import day_time

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
# requires them equal, so a change to one without the other fails there. The row's person
# label and status badge are tags of their own too, `{% person_label %}` and `{% status_badge %}`,
# for the home panels' rows (the same test holds them equal to their includes).

_STATUS_BADGE = {
    "active": "badge--success",
    "suspended": "badge--warning",
    "closed": "badge--muted",
}


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
def person_label(context: Any, person: Any) -> str:
    """`{% include "cases/_person_label.html" with person=person %}`, built in Python: the
    home panels show it on every row (tests/cases/test_case_row.py holds them equal)."""
    return mark_safe(person_label_html(person, context))  # escaped as the template escapes


@register.simple_tag(takes_context=True)
def status_badge(context: Any, case: Any) -> str:
    """`{% include "cases/_status_badge.html" %}` for `case`, built in Python."""
    return mark_safe(status_badge_html(case, context))  # escaped as the template escapes


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
    # The list's cases carry their tag names (cases.selectors.tag_names_attach).
    tags = getattr(case, "tag_names", None)
    if tags is None:
        tags = [tag.name for tag in case.issue_tags.all()]
    tag_list = (
        '<ul class="tag-list">'
        + "".join(
            f'<li><span class="badge badge--muted">{_v(name, context)}</span></li>' for name in tags
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


# --- The home panels' case rows, rendered in Python -------------------------------------------
#
# The home page's four case panels (cases/_home_*.html), ten rows each, rendered their rows
# inline: ~550 Python calls a row, a third of the page's template work (issue #22,
# scripts/profile_pages.py). Each row is now its own template, cases/_home_*_row.html, the
# readable definition, and a tag here that builds the same HTML; tests/cases/test_home_rows.py
# renders both for rows of every shape, in both languages, and requires them equal.
# (The indent before each panel's {% endfor %} is the one the inline rows ended with.)


def _case_link(context: Any, case_id: int) -> str:
    return _v(page_pattern(context, "cases:detail")(case_id), context)


@register.simple_tag(takes_context=True)
def my_cases_row(context: Any, case: Any) -> str:
    """templates/cases/_home_my_cases_row.html."""
    link = _case_link(context, case.pk)
    return mark_safe(
        "\n        <tr>\n"
        f'          <td><a href="{link}">{_v(case.number, context)}</a></td>\n'
        f"          <td>{person_label_html(case.person, context)}</td>\n"
        f"          <td>{status_badge_html(case, context)}</td>\n"
        f"          <td>{_v(format_day(case.last_seen_on), context)}</td>\n"
        f"          <td>{_v(format_day(case.next_action_on) or '—', context)}</td>\n"
        "        </tr>\n"
    )


@register.simple_tag(takes_context=True)
def no_contact_row(context: Any, case: Any) -> str:
    """templates/cases/_home_no_contact_row.html."""
    link = _case_link(context, case.pk)
    silent = counted("（%(d)s日前）", "（%(d)s日前）", "d", case.days_silent, context)
    return mark_safe(
        "\n        <tr>\n"
        f"          <td>{_v(format_day(case.last_seen_on), context)} "
        f'<span class="muted">{silent}</span></td>\n'
        f'          <td><a href="{link}">{_v(case.number, context)}</a></td>\n'
        f"          <td>{person_label_html(case.person, context)}</td>\n"
        f"          <td>{status_badge_html(case, context)}</td>\n"
        "        </tr>\n"
    )


@register.simple_tag(takes_context=True)
def recent_row(context: Any, c: Any) -> str:
    """templates/cases/_home_recent_row.html for `c`, a Consultation."""
    how = gettext("%(method)s（%(whom)s）") % {
        "method": _v(c.get_method_display(), context),
        "whom": _v(c.get_with_whom_display(), context),
    }
    link = _case_link(context, c.case_id)
    recorder = _v(c.recorded_by.label, context) if c.recorded_by else "—"
    return mark_safe(
        "\n        <tr>\n"
        f"          <td>{_v(format_day(c.date), context)}</td>\n"
        f'          <td><a href="{link}#consultation-{_v(c.pk, context)}">'
        f"{_v(c.case.number, context)}</a></td>\n"
        f"          <td>{person_label_html(c.case.person, context)}</td>\n"
        f"          <td>{how}</td>\n"
        f"          <td>{recorder}</td>\n"
        "        </tr>\n"
    )


@register.simple_tag(takes_context=True)
def follow_up_row(context: Any, case: Any) -> str:
    """templates/cases/_home_follow_ups_row.html."""
    url = _case_link(context, case.pk)
    number = _v(case.number, context)
    if case.days_overdue == 0:
        due = f'<span class="badge badge--warning">{_v(gettext("今日"), context)}</span>'
    else:
        late = counted("%(d)s日超過", "%(d)s日超過", "d", case.days_overdue, context)
        due = f'<span class="badge badge--error">{late}</span>'
    hidden = f'<span class="visually-hidden">（{number}）</span>'
    if case.with_whom_label:
        who = gettext("%(who)sと記録する") % {"who": _v(case.with_whom_label, context)}
        actions = (
            f'<a class="button button--small" href="{url}?with_whom='
            f'{_v(case.last_with_whom, context)}#record">{who}{hidden}</a>\n'
            f'            <a class="button button--small button--secondary" href="{url}#record">'
            f"{_v(gettext('相手を選ぶ'), context)}{hidden}</a>"
        )
    else:
        actions = (
            f'<a class="button button--small" href="{url}#record">'
            f"{_v(gettext('記録する'), context)}{hidden}</a>"
        )
    return mark_safe(
        "\n        <tr>\n"
        f'          <td class="nowrap">{_v(format_day(case.next_action_on), context)} {due}</td>\n'
        f'          <td><a href="{url}">{number}</a></td>\n'
        f"          <td>{person_label_html(case.person, context)}</td>\n"
        f"          <td>{_v(case.next_action_text or '—', context)}</td>\n"
        f'          <td class="nowrap">{actions}</td>\n'
        "        </tr>\n"
    )


# --- The case page's consultations, rendered in Python ---------------------------------------
#
# The case timeline's most frequent entry, templates/cases/_consultation_entry.html with its
# includes (the voided note, the folded long text) and two {% url %}s, built the same way as
# the rows above. tests/cases/test_consultation_entry.py holds it equal to the templates.

CONSULTATION_ENTRY = "cases/_consultation_entry.html"


def voided_note_html(obj: Any, context: Any) -> str:
    """templates/includes/voided_note.html."""
    if not obj.voided_at:
        return "\n\n"
    who = (obj.voided_by.label if obj.voided_by else "") or "—"
    text = gettext("（%(when)s、%(who)s）理由：%(reason)s") % {
        "when": _v(day_time(obj.voided_at), context),
        "who": _v(who, context),
        "reason": _v(obj.void_reason, context),
    }
    return (
        f'\n<p class="voided-note"><strong>{_v(gettext("取消済み"), context)}</strong>{text}</p>\n'
    )


def long_text_html(text: str, context: Any) -> str:
    """templates/cases/_long_text.html with no label."""
    body = f'<p class="timeline__body">{_v(linebreaksbr(text), context)}</p>\n'
    if length(text) > 200:
        return (
            '\n\n<details class="timeline__details">\n'
            f'  <summary><span class="timeline__excerpt">{_v(truncatechars(text, 120), context)}'
            f'</span> <span class="timeline__more">{_v(gettext("続きを読む"), context)}</span>'
            f'<span class="timeline__less">{_v(gettext("閉じる"), context)}</span></summary>\n'
            f"  {body}"
            "</details>\n\n"
        )
    return f"\n\n{body}\n"


def consultation_entry_html(obj: Any, case: Any, context: Any) -> str:
    """templates/cases/_consultation_entry.html for `obj` (a Consultation) on `case`."""
    day = _v(format_day(obj.date), context)
    meta = ""
    if obj.duration_minutes:
        meta = gettext("%(m)s分") % {"m": _v(obj.duration_minutes, context)} + " · "
    if obj.recorded_by:
        meta += gettext("記録：%(name)s") % {"name": _v(obj.recorded_by.label, context)}
    links = ""
    if not obj.voided_at:
        edit = page_pattern(context, "cases:consultation_edit", case.pk)(obj.pk)
        void = page_pattern(context, "cases:consultation_void", case.pk)(obj.pk)
        links = (
            f'<a class="timeline__edit" href="{_v(edit, context)}">{_v(gettext("編集"), context)}'
            f'<span class="visually-hidden">（{day}）</span></a>\n'
            f'    <a class="timeline__edit" href="{_v(void, context)}">'
            f'{_v(gettext("取消"), context)}<span class="visually-hidden">（{day}）</span></a>'
        )
    next_html = ""
    if obj.next_action or obj.next_action_date:
        when = ""
        if obj.next_action_date:
            when = gettext("（%(date)s）") % {"date": _v(format_day(obj.next_action_date), context)}
        next_html = (
            f'<p class="timeline__next"><strong>{_v(gettext("次の対応"), context)}</strong>'
            f"{_v(pgettext('label separator', '：'), context)}"
            f"{_v(obj.next_action or '—', context)}{when}</p>"
        )
    whom = gettext("相手：%(whom)s") % {"whom": _v(obj.get_with_whom_display(), context)}
    return (
        f'\n<li class="timeline__item timeline__item--consultation'
        f'{" is-voided" if obj.voided_at else ""}" id="consultation-{_v(obj.pk, context)}">\n'
        '  <div class="timeline__head">\n'
        f'    <span class="timeline__date">{day}</span>\n'
        f'    <span class="badge badge--key">{_v(obj.get_method_display(), context)}</span>\n'
        f"    <span>{whom}</span>\n"
        f'    <span class="timeline__meta">{meta}</span>\n'
        f"    {links}\n"
        "  </div>\n"
        f"  {voided_note_html(obj, context)}\n"
        f"  {long_text_html(obj.notes, context) if obj.notes else ''}\n"
        f"  {next_html}\n"
        "</li>\n"
    )


@register.simple_tag(takes_context=True)
def timeline_entry(context: Any, entry: Any) -> str:
    """`{% include entry.template with obj=entry.obj entry=entry %}`: a consultation built in
    Python (above), any other entry through its template."""
    if entry.template == CONSULTATION_ENTRY:
        # Every value in it is escaped as the templates escape it.
        return mark_safe(consultation_entry_html(entry.obj, context.get("case"), context))
    template = context.template.engine.get_template(entry.template)
    with context.push(obj=entry.obj, entry=entry):
        return template.render(context)  # type: ignore[no-any-return]  # a SafeString
