from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.services import ReferenceDataError, municipalities_load_csv, reference_data_load_default


class Command(BaseCommand):
    help = (
        "Load a prefecture's municipalities and jurisdictions from a CSV with the columns "
        "code,name_ja,name_en,kind,jurisdiction_ja,jurisdiction_en. Without a file, loads "
        "the shipped default (Kochi). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", nargs="?", help="CSV file (UTF-8)")

    def handle(self, *args: object, **options: object) -> None:
        path = options["csv"]
        try:
            if path:
                with Path(str(path)).open(encoding="utf-8-sig") as stream:
                    result = municipalities_load_csv(stream=stream)
            else:
                result = reference_data_load_default()
        except ReferenceDataError as exc:
            raise CommandError("\n".join(exc.errors)) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"municipalities: {result.created} created, {result.updated} updated; "
            f"jurisdictions: {len(result.jurisdictions)}"
        )
