"""Check or rebuild the KPI dashboard's maintained aggregates (kpi.aggregates)."""

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import Action, audit_record
from kpi import aggregates

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "--check: compare the dashboard's maintained counters with a recount of the records "
        "and exit non-zero on any difference. --rebuild: recount them from the records "
        "(after restoring a backup, a bulk load that bypassed the services, or a "
        "municipality moved to another jurisdiction). --rebuild-if-empty: only when none "
        "exist yet, or only the parts with none yet (figures added since; run by `make "
        "migrate`). Both are audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--check", action="store_true")
        what.add_argument("--rebuild", action="store_true")
        what.add_argument("--rebuild-if-empty", action="store_true")
        parser.add_argument("--show", type=int, default=20, help="differences to print")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            found = aggregates.differences()
            audit_record(
                action=Action.VIEW,
                object_type="kpi.tally",
                filters={"check": True, "differences": len(found)},
                row_count=len(found),
            )
            if not found:
                self.stdout.write("kpi aggregates: equal to a recount of the records")
                return
            for (area, figure, day), have, want in found[: options["show"]]:
                self.stdout.write(f"  {area} {figure} {day}: stored {have}, recounted {want}")
            logger.error("kpi aggregates differ from a recount in %d counters", len(found))
            raise CommandError(
                f"{len(found)} counters differ from a recount: run kpi_aggregates --rebuild"
            )
        parts = None
        if options["rebuild_if_empty"] and aggregates.months_missing():
            # Counted before the month rows were kept: add them up from the days.
            rows = aggregates.rebuild_months()
            audit_record(
                action=Action.UPDATE,
                object_type="kpi.tally",
                filters={"rebuild": True, "months": True},
                row_count=rows,
            )
            self.stdout.write(f"kpi aggregates: month counters added, {rows} counters")
        if options["rebuild_if_empty"] and not aggregates.is_empty():
            # Counted before some parts existed: rebuild only those (a part's records).
            parts = aggregates.missing_parts()
            if not parts:
                self.stdout.write("kpi aggregates: present, not rebuilt")
                return
        rows = aggregates.rebuild(parts)
        audit_record(
            action=Action.UPDATE,
            object_type="kpi.tally",
            filters={"rebuild": True, **({"parts": parts} if parts else {})},
            row_count=rows,
        )
        which = f" ({', '.join(parts)})" if parts else ""
        self.stdout.write(f"kpi aggregates: rebuilt{which}, {rows} counters")
