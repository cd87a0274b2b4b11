"""Production mode refuses to start with missing secrets; production values pass --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "soudan.example.lg.jp",
    "CSRF_TRUSTED_ORIGINS": "https://soudan.example.lg.jp",
    "BEHIND_TLS_PROXY": "1",
}


# Settings the test runner itself relaxes (see the Makefile); a child process must not inherit them.
RELAXED = {
    "DATABASE_URL", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "STATIC_MANIFEST", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
}  # fmt: skip


def clean_env(env: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in PROD and k not in RELAXED}
    clean.update(env)
    return clean


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = clean_env(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [("SECRET_KEY", "SECRET_KEY is not set"), ("ALLOWED_HOSTS", "ALLOWED_HOSTS is not set")],
)
def test_production_refuses_to_start_without(missing: str, message: str) -> None:
    env = {k: v for k, v in PROD.items() if k != missing}
    result = run_django(env, "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_app_refuses_to_serve_without_secrets() -> None:
    """gunicorn loads config.wsgi: it must not come up without SECRET_KEY / ALLOWED_HOSTS."""
    for module in ("config.wsgi", "config.asgi"):
        clean = clean_env({"DEBUG": "0"})
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", f"import {module}"],
            cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode != 0
        assert "SECRET_KEY is not set" in result.stderr
        assert "ALLOWED_HOSTS is not set" in result.stderr


def test_migration_drift_can_be_checked_without_secrets() -> None:
    """makemigrations only compares models and migration files: no secret needed."""
    result = run_django({"DEBUG": "0"}, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    assert run_django({"DEBUG": "0"}, "migrate", "--plan").returncode != 0


def test_production_values_pass_the_deploy_check() -> None:
    result = run_django(PROD, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_development_mode_starts_without_secrets() -> None:
    result = run_django({"DEBUG": "1"}, "check")
    assert result.returncode == 0, result.stderr


def test_postgres_url_turns_on_connection_health_checks() -> None:
    code = (
        "from django.conf import settings;"
        "d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['CONN_HEALTH_CHECKS'], d['NAME'])"
    )
    env = {**PROD, "DATABASE_URL": "postgres://app@db.example:5432/soudan"}
    clean = clean_env(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.split() == ["django.db.backends.postgresql", "True", "soudan"]


def test_time_zone_and_language_defaults(settings) -> None:
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "ja"
