import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.accounts import DEMO_ADMIN_TOTP_KEY


class Command(BaseCommand):
    help = (
        "Print the current second-factor code of the demo admin (its published demo secret "
        "only). Refused when DEBUG is off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("demo_totp is for demonstration servers (DEBUG on, or --force).")
        # Only the demo secret: this command can never print a real user's code.
        if not TOTPDevice.objects.filter(key=DEMO_ADMIN_TOTP_KEY, confirmed=True).exists():
            raise CommandError("No demo admin device: run `manage.py seed_demo` first.")
        totp = TOTP(bytes.fromhex(DEMO_ADMIN_TOTP_KEY), step=30, t0=0, digits=6, drift=0)
        totp.time = time.time()
        remaining = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d}  (valid for {remaining}s more)")
