"""Small display helpers for referral pages."""

from typing import Any

from django import template
from django.utils import timezone

from core.fiscal import fiscal_year, fiscal_year_label
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
