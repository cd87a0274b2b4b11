"""Small display helpers for referral pages."""

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from core.dates import format_day
from core.fiscal import fiscal_year, fiscal_year_label
from core.links import page_pattern
from core.rendering import template_text as _v  # `{{ value }}`
from referrals.models import Referral

register = template.Library()

BADGE_CLASS = {
    Referral.Status.PROPOSED: "badge--key",
    Referral.Status.ARRANGING: "badge--warning",
    Referral.Status.CONNECTED: "badge--success",
    Referral.Status.ENDED: "badge--muted",
    Referral.Status.NOT_REALISED: "badge--error",
}


@register.inclusion_tag("referrals/_status_badge.html")
def referral_status(status: str) -> dict[str, Any]:
    status = Referral.Status(status)
    return {
        "label": status.label,
        "css": BADGE_CLASS[status],
        # Never connected: shown as such, so nobody reads it as a link that counts.
        "not_connected": status in (Referral.Status.NOT_REALISED,),
    }


@register.filter
def fy_label(day: Any) -> str:
    return fiscal_year_label(fiscal_year(day)) if day else ""


@register.filter
def days_since(day: Any) -> int | str:
    return (timezone.localdate() - day).days if day else ""


# --- The follow-up lists' rows, rendered in Python -------------------------------------------
#
# The two lists of referrals/_follow_up_tables.html (the home page's follow-up panel and the
# follow-up page) rendered each row inline: ~600 Python calls a row (issue #22). Each row is
# its own template, referrals/_follow_up_stuck_row.html and _follow_up_quiet_row.html, the
# readable definition, and a tag here builds the same HTML, as cases_tags builds the case
# rows; tests/referrals/test_follow_up_rows.py holds them equal. (The indent before the
# lists' {% endfor %} is the one the inline rows ended with.)


def _row_head(context: Any, r: Any) -> str:
    mine = r.is_mine == 0
    case_url = page_pattern(context, "cases:detail")(r.case_id)
    badge = f' <span class="badge badge--key">{_v(gettext("担当"), context)}</span>' if mine else ""
    detail = page_pattern(context, "referrals:referral_detail")(r.pk)
    return (
        f"\n      <tr{' class="row--mine"' if mine else ''}>\n"
        f'        <td class="nowrap"><a href="{_v(case_url, context)}">'
        f"{_v(r.case.number, context)}</a>{badge}</td>\n"
        f"        <td>{_v(str(r.case.person), context)}</td>\n"
        f'        <td><a href="{_v(detail, context)}">{_v(r.resource.name, context)}</a></td>\n'
    )


@register.simple_tag(takes_context=True)
def stuck_row(context: Any, r: Any) -> str:
    """templates/referrals/_follow_up_stuck_row.html."""
    days = gettext("%(n)s日") % {"n": _v(days_since(r.arranging_on), context)}
    return mark_safe(
        _row_head(context, r)
        + f'        <td class="date">{_v(format_day(r.arranging_on), context)}</td>\n'
        f'        <td class="num">{days}</td>\n'
        "      </tr>\n"
    )


@register.simple_tag(takes_context=True)
def quiet_row(context: Any, r: Any) -> str:
    """templates/referrals/_follow_up_quiet_row.html."""
    last = format_day(r.last_note_on) or gettext("なし")
    return mark_safe(
        _row_head(context, r)
        + f'        <td class="date">{_v(format_day(r.connected_on), context)}</td>\n'
        f'        <td class="date">{_v(last, context)}</td>\n'
        "      </tr>\n"
    )
