"""The home page panel for prefecture staff and admins: this year's four indicators and the
municipalities without a case meeting yet, each a link to where the detail is."""

from typing import Any

from django.http import HttpRequest

from accounts.models import User
from core.fiscal import current_fiscal_year
from kpi.scopes import scopes_for_user
from kpi.selectors import kpi_summary

ROLES = (User.Role.PREFECTURE, User.Role.ADMIN)


def home_prefecture_overview(request: HttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not user.is_authenticated or user.role not in ROLES:
        return None
    scopes = scopes_for_user(user)
    if not scopes:
        return None
    # The user's own prefecture when there is one (a national user's first scope is 全国).
    scope = next((s for s in scopes if not s.is_national), scopes[0])
    report = kpi_summary(current_fiscal_year(), scope)
    without_meeting = [row for row in report.municipalities if not row.meeting_held]
    return {
        "template": "kpi/_home_overview.html",
        "report": report,
        "scope": scope,
        "indicators": report.indicators,
        "without_meeting": without_meeting,
    }
