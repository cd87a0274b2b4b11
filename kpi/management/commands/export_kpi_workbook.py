"""`manage.py export_kpi_workbook --fy 2023
[--scope all|pref|pref-NN|<jurisdiction id>|<municipality code>]
[--as-of 2023-12-31] [--public] --out FILE.xlsx`: the dashboard's workbook, for scheduled
monthly reports. Scope and date are parsed as `kpi_report` parses them."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import Action, audit_record
from core.fiscal import current_fiscal_year
from kpi.management.commands.kpi_report import _date
from kpi.scopes import PREFECTURE_TOKEN, ScopeNotFound, scope_from_token
from kpi.selectors import kpi_report
from kpi.workbook import kpi_workbook


class Command(BaseCommand):
    help = "Write the KPI report workbook (.xlsx) of a fiscal year and scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fy", type=int, default=None, help="Fiscal year, e.g. 2023 (default: current)."
        )
        parser.add_argument(
            "--scope",
            default=PREFECTURE_TOKEN,
            help="all (every prefecture), pref (DEFAULT_PREFECTURE_CODE), pref-NN (prefecture NN), "
            "a jurisdiction id or a municipality code.",
        )
        parser.add_argument("--as-of", default=None, help="Count up to this date (YYYY-MM-DD).")
        parser.add_argument(
            "--public",
            action="store_true",
            help="Publication mode: small counts shown as <5 (KPI_PUBLIC_SUPPRESS_BELOW).",
        )
        parser.add_argument("--out", required=True, help="The .xlsx file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        fiscal_year = options["fy"] or current_fiscal_year()
        as_of = _date(options["as_of"]) if options["as_of"] else None
        out = Path(options["out"])
        if out.suffix.lower() != ".xlsx":
            raise CommandError("--out: the file name must end with .xlsx")
        if not out.parent.is_dir():
            raise CommandError(f"--out: the folder {out.parent} does not exist")
        try:
            scope = scope_from_token(options["scope"])
        except ScopeNotFound as exc:
            raise CommandError(str(exc)) from exc
        report = kpi_report(fiscal_year, scope, as_of)
        public = options["public"]
        workbook = kpi_workbook(report, public=public, threshold=settings.KPI_PUBLIC_SUPPRESS_BELOW)
        # Write next to the target and rename: a scheduled job never leaves half a file.
        partial = out.with_name(f".{out.name}.partial")
        workbook.save(partial)
        partial.replace(out)
        audit_record(
            action=Action.EXPORT,
            object_type="kpi.workbook",
            filters={
                "fy": report.fiscal_year,
                "scope": scope.token,
                "as_of": report.as_of.isoformat(),
                "public": public,
                "command": "export_kpi_workbook",
            },
            row_count=len(report.areas),
        )
        self.stdout.write(f"{out} ({report.long_label} {report.scope.name} {report.as_of})")
