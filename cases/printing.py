"""The case's print layouts: the support record (支援経過記録) and the household sheet.

Sections are registered with `core.printing`; other apps add theirs (the support plan goes
before the history).
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from core.printing import PrintSection, register

CASE_RECORD = "case_record"
HOUSEHOLD_SHEET = "household_sheet"


def _household(case: Case) -> Any:
    return getattr(case.person, "household", None)


def summary_context(case: Case, request: HttpRequest) -> dict[str, Any]:
    return {"case": case, "person": case.person, "tags": list(case.issue_tags.all())}


def household_context(case: Case, request: HttpRequest) -> dict[str, Any]:
    household = _household(case)
    return {
        "household": household,
        "members": list(household.members.all()) if household else [],
    }


def history_context(case: Case, request: HttpRequest) -> dict[str, Any]:
    """The history as table rows, oldest first (a paper record reads in order)."""
    rows: list[dict[str, Any]] = []
    for c in case.consultations.select_related("recorded_by").order_by("date", "id"):
        rows.append(
            {
                "date": c.date,
                "kind": c.get_method_display(),
                "with_whom": c.get_with_whom_display(),
                "minutes": c.duration_minutes,
                "text": c.notes,
                "next_action": c.next_action,
                "next_action_date": c.next_action_date,
                "by": c.recorded_by.label if c.recorded_by else "",
                "order": (c.date, 1, c.created_at),
            }
        )
    for s in case.status_changes.select_related("changed_by").order_by("changed_on", "id"):
        rows.append(
            {
                "date": s.changed_on,
                "kind": _("状況の変更"),
                "with_whom": "",
                "minutes": None,
                "text": (
                    f"{s.get_from_status_display()} → {s.get_to_status_display()}"
                    if s.from_status
                    else str(_("受付（ケース登録）"))
                )
                + (f"：{s.reason}" if s.reason else ""),
                "next_action": "",
                "next_action_date": None,
                "by": s.changed_by.label if s.changed_by else "",
                "order": (s.changed_on, 0, s.created_at),
            }
        )
    rows.sort(key=lambda r: r["order"])
    return {"rows": rows}


register(
    CASE_RECORD, PrintSection("summary", _("概要"), "print/_case_summary.html", summary_context)
)
register(
    CASE_RECORD, PrintSection("household", _("世帯"), "print/_household.html", household_context)
)
register(
    CASE_RECORD, PrintSection("history", _("支援経過"), "print/_history.html", history_context)
)
register(
    HOUSEHOLD_SHEET,
    PrintSection("summary", _("本人"), "print/_person.html", summary_context),
)
register(
    HOUSEHOLD_SHEET,
    PrintSection("household", _("世帯"), "print/_household.html", household_context),
)
