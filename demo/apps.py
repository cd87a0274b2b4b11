from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data's commands (`seed_demo`, `demo_totp`); no models."""

    name = "demo"
    verbose_name = "Demo data"
