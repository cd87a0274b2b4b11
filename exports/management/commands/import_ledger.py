import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from exports.ledger import file_digest, ledger_parse
from exports.ledger_write import ledger_import


class Command(BaseCommand):
    help = (
        "Import a consultation ledger (.xlsx in the template's columns) as USER. Every row is "
        "checked first; any error rejects the whole file (exit status 1) and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx ledger")
        parser.add_argument("--user", required=True, help="username whose scope applies")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        parsed = ledger_parse(stream=io.BytesIO(data), user=user)
        if not parsed.ok:
            for error in parsed.errors:
                where = f"{error.row}行目" if error.row else "ファイル"
                self.stderr.write(f"{where} {error.column}: {error.message}")
            raise CommandError(f"{len(parsed.errors)} error(s); nothing was imported")
        if options["dry_run"]:
            self.stdout.write(f"OK: {len(parsed.rows)} rows would be imported (dry run)")
            return
        batch = ledger_import(
            user=user, parsed=parsed, file_name=path.name, digest=file_digest(data)
        )
        self.stdout.write(
            f"imported: {batch.cases_created} cases, {batch.consultations_created} consultations "
            f"created; {batch.rows_existing} rows already present"
        )
