"""The home page is made of panels, one list for every app.

A panel is a function `(request) -> dict | None`: None hides it (nothing to show, or not for
this role); a dict is the panel's context and must include `template`. Each panel keeps its
query count constant in the number of records (tested where it is defined).
"""

from typing import Any

from django.db.models import Count, Model, QuerySet, Window
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


def panel_rows[M: Model](qs: "QuerySet[M]", limit: int) -> tuple[list[M], int]:
    """A panel's first `limit` rows of `qs` (ordered) and how many there are in all, in one
    query: the total is a window count over the whole result, read off the first row, where a
    separate COUNT would run the panel's query a second time (bench/: issue #22)."""
    rows = list(panel_query(qs, limit))
    return rows, panel_total(rows)


def panel_query[M: Model](qs: "QuerySet[M]", limit: int) -> "QuerySet[M]":
    """`panel_rows`' query, for a builder of a baked one (core.baked); `panel_total` reads
    the total off its rows."""
    return qs.annotate(panel_total=Window(Count("pk")))[:limit]  # type: ignore[return-value]


def panel_total(rows: list[Any]) -> int:
    return rows[0].panel_total if rows else 0
