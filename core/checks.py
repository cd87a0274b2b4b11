"""Production configuration that is missing (settings.CONFIG_ERRORS) stops the app.

- `manage.py check`, `migrate`, `runserver`, `db_worker` … (every command that runs the system
  checks) fail with these errors;
- the WSGI and ASGI applications refuse to load (`refuse_misconfiguration`), so gunicorn never
  serves a request with them.
Commands that only compare the models with the migration files (`makemigrations --check`,
`showmigrations`, `sqlmigrate`) still run: they never sign, serve or send anything, and a fresh
checkout (or a CI step) can run them without inventing a secret.
"""

import sys
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

MODEL_ONLY_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate"}


@register(Tags.security)
def missing_production_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if sys.argv[1:2] and sys.argv[1] in MODEL_ONLY_COMMANDS:
        return []
    return [
        Error(message, id=f"core.E00{n}")
        for n, message in enumerate(getattr(settings, "CONFIG_ERRORS", []), start=1)
    ]


def refuse_misconfiguration() -> None:
    errors = getattr(settings, "CONFIG_ERRORS", [])
    if errors:
        raise ImproperlyConfigured(" ".join(errors))
