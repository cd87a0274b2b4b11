"""The home page is made of panels, one list for every app.

A panel is a function `(request) -> dict | None`: None hides it (nothing to show, or not for
this role); a dict is the panel's context and must include `template`. Each panel keeps its
query count constant in the number of records (tested where it is defined).
"""

from typing import Any

from django.http import HttpRequest
from django.utils.module_loading import import_string

PANELS: list[str] = [
    "cases.selectors.home_follow_ups",
    "cases.selectors.home_no_contact",
    "cases.selectors.home_my_cases",
    "cases.selectors.home_recent_activity",
    "platforms.selectors.home_open_actions",
    "referrals.selectors.home_stuck_referrals",
    "programme.selectors.home_outreach_due",
    "casework.selectors.home_reviews_due",
    "casework.selectors.home_assessment_waiting",
    "kpi.home.home_prefecture_overview",
]


def home_panels(request: HttpRequest) -> list[dict[str, Any]]:
    panels = []
    for path in PANELS:
        panel = import_string(path)(request)
        if panel is not None:
            panels.append(panel)
    return panels
