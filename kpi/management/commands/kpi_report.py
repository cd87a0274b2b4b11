"""`manage.py kpi_report --fy 2023 [--scope all|pref|pref-NN|<jurisdiction id>|<municipality code>]
[--as-of 2023-12-31] [--json]`: the same report as the dashboard, for scripts and checks."""

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.fiscal import current_fiscal_year, fiscal_year_label
from kpi.scopes import PREFECTURE_TOKEN, ScopeNotFound, scope_from_token
from kpi.selectors import Report, kpi_report


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of: {value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Print the four KPI indicators of a fiscal year (JSON with --json)."

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
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        fiscal_year = options["fy"] or current_fiscal_year()
        as_of = _date(options["as_of"]) if options["as_of"] else None
        try:
            scope = scope_from_token(options["scope"])
        except ScopeNotFound as exc:
            raise CommandError(str(exc)) from exc
        report = kpi_report(fiscal_year, scope, as_of)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            self.stdout.write(self.table(report))

    @staticmethod
    def table(report: Report) -> str:
        lines = [
            f"{fiscal_year_label(report.fiscal_year)}  {report.scope.name}  "
            f"{report.as_of:%Y-%m-%d}時点",
            "",
        ]
        for ind in report.indicators:
            value = f"{ind.value}" + (f" / {ind.total}" if ind.total is not None else "")
            target = "—" if ind.target is None else str(ind.target)
            share = "—" if ind.share_percent is None else f"{ind.share_percent}%"
            projected = "—" if ind.projected is None else str(ind.projected)
            lines.append(
                f"{ind.label}\t実績 {value}{ind.unit}\t目標 {target}\t達成率 {share}"
                f"\t見込み {projected}\t{ind.status_label or '—'}"
            )
        return "\n".join(lines)
