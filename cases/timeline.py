"""The case timeline: one list of everything that happened on a case, newest first.

Each app contributes entries through a provider listed in PROVIDERS: a function
`(case) -> Iterable[TimelineEntry]`. A provider must not issue a query per entry.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

from cases.models import Case

PROVIDERS: list[str] = [
    "cases.selectors.consultation_entries",
    "cases.selectors.status_change_entries",
    "platforms.selectors.meeting_timeline_entries",
    "referrals.selectors.referral_timeline_entries",
    "casework.selectors.assessment_entries",
    "casework.selectors.plan_entries",
    "casework.selectors.review_entries",
    "casework.selectors.consent_entries",
]


@dataclass(frozen=True)
class TimelineEntry:
    date: dt.date
    kind: str  # "consultation", "status", "meeting", "referral", …
    template: str  # partial that renders `entry.obj`
    obj: Any
    # Breaks ties on the same date: later-created first.
    order: tuple[Any, ...] = field(default=())


def case_timeline(case: Case) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for path in PROVIDERS:
        provider = import_string(path)
        entries.extend(provider(case))
    return sorted(entries, key=lambda e: (e.date, e.order), reverse=True)
