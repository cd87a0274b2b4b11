"""The support plan's section in the printed case record (支援経過記録), before the history."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.printing import CASE_RECORD
from casework.selectors import current_plan
from core.printing import PrintSection, register


def plan_context(case: Case, request: HttpRequest) -> dict[str, Any] | None:
    plan = current_plan(case)
    if plan is None:
        return None  # no plan yet: the section is left out
    goals = list(plan.goals.select_related("agency", "resource").order_by("term", "id"))
    return {"plan": plan, "goals": goals}


register(
    CASE_RECORD,
    PrintSection("plan", _("支援プラン"), "casework/print_plan.html", plan_context),
    before="history",
)
