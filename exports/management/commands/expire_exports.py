from django.core.management.base import BaseCommand

from exports.jobs import housekeeping
from exports.services import export_jobs_expire


class Command(BaseCommand):
    help = (
        "Delete export files past their expiry time and unconfirmed ledger uploads past "
        "LEDGER_UPLOAD_TTL_HOURS, and reap jobs of dead workers (run hourly from a timer)."
    )

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"expired: {export_jobs_expire()}")
        self.stdout.write(f"housekeeping: {housekeeping()}")
