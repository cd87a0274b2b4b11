from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from audit.services import audit_purge


class Command(BaseCommand):
    help = (
        "Delete audit rows older than AUDIT_RETENTION_DAYS (or --days) and record the purge "
        "in the trail. Run it daily (cron / systemd timer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Retention in days (default: AUDIT_RETENTION_DAYS = "
            f"{settings.AUDIT_RETENTION_DAYS}).",
        )

    def handle(self, *args: object, **options: object) -> None:
        days = options["days"]
        deleted = audit_purge(retention_days=days if isinstance(days, int) else None)
        self.stdout.write(f"purged {deleted} audit rows")
