from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import import_string

from core.services import reference_data_load_default
from demo.accounts import DEMO_PASSWORD, DEMO_USERS

# One module of demo/ per app, in dependency order. Every step is idempotent.
DEMO_STEPS = [
    "demo.accounts.seed",
    "demo.cases.seed",
    "demo.platforms.seed",
    "demo.referrals.seed",
    "demo.programme.seed",
    "demo.casework.seed",
    # Last: it closes the past fiscal years, so the figures it stores are those of all the
    # demo records above (a step after it would show as a recount difference).
    "demo.kpi.seed",
]


class Command(BaseCommand):
    help = "Create demo users and records (idempotent). Refused when DEBUG is off unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (not for production)."
        )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a known password and is refused when DEBUG is "
                "off. Use --force only on a demonstration or test server."
            )
        reference_data_load_default()
        with transaction.atomic():
            for step in DEMO_STEPS:
                import_string(step)(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}):"))
        for username, role, display_name, *_rest in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {role.label}  {display_name}")
