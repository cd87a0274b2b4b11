from django.core.management.base import BaseCommand

from exports.services import export_jobs_expire


class Command(BaseCommand):
    help = "Delete export files past their expiry time (run hourly from cron or a timer)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"expired: {export_jobs_expire()}")
