"""Print layouts: paper versions of a record, built from a list of sections.

A printed record is a view like any other page, audited like an export (who printed what,
when). Each layout is a list of `PrintSection`s; another app adds its own section with
`register(layout, section, before=...)` — for example the support plan:

    printing.register(
        CASE_RECORD,
        PrintSection("plan", _("支援プラン"), "casework/print_plan.html", plan_context),
        before="history",
    )

A section whose `context` returns None is left out (no plan yet: no plan section).
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.http import HttpRequest

# The audit trail is an app above core: reached by name, as core/views.py reaches it.
AUDIT_SERVICES = "audit.services"


@dataclass(frozen=True)
class PrintSection:
    key: str
    title: Any  # a lazy translated string
    template: str
    # (the record, the request) → the template's context, or None to leave the section out.
    context: Callable[[Any, HttpRequest], dict[str, Any] | None]


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: Any
    template: str
    context: dict[str, Any]


LAYOUTS: dict[str, list[PrintSection]] = {}


def register(layout: str, section: PrintSection, *, before: str | None = None) -> None:
    """Add a section to a layout (replacing one with the same key), before another or last."""
    sections = [s for s in LAYOUTS.setdefault(layout, []) if s.key != section.key]
    keys = [s.key for s in sections]
    index = keys.index(before) if before in keys else len(sections)
    sections.insert(index, section)
    LAYOUTS[layout] = sections


def render_sections(layout: str, record: Any, request: HttpRequest) -> list[RenderedSection]:
    rendered = []
    for section in LAYOUTS.get(layout, []):
        context = section.context(record, request)
        if context is not None:
            rendered.append(RenderedSection(section.key, section.title, section.template, context))
    return rendered


def audit_print(
    request: HttpRequest, *, obj: Any, layout: str, options: dict[str, Any] | None = None
) -> None:
    """A print is recorded like an export: the layout and its options in the filters."""
    audit = import_module(AUDIT_SERVICES)
    audit.audit_record(
        action=audit.Action.EXPORT,
        request=request,
        obj=obj,
        filters={"print": layout, **(options or {})},
    )
