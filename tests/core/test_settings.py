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


def read_setting(env: dict[str, str], name: str) -> str:
    clean = clean_env(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"from django.conf import settings; print(repr(settings.{name}))"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    """NAME_FILE (systemd credentials, container secrets): the file's content without its
    trailing newline, and the production checks are satisfied by it."""
    secret = tmp_path / "secret_key"
    secret.write_text("a-secret-read-from-a-file-0123456789-abcdefghijklmnopqrstuvwxyz\n")
    hosts = tmp_path / "allowed_hosts"
    hosts.write_text("soudan.example.lg.jp\n")
    env = {k: v for k, v in PROD.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    env |= {"SECRET_KEY_FILE": str(secret), "ALLOWED_HOSTS_FILE": str(hosts)}
    assert read_setting(env, "SECRET_KEY") == repr(secret.read_text().strip())
    assert read_setting(env, "ALLOWED_HOSTS") == repr(["soudan.example.lg.jp"])
    result = run_django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_a_missing_secret_file_stops_the_app(tmp_path: Path) -> None:
    env = {k: v for k, v in PROD.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(tmp_path / "missing")
    result = run_django(env, "check")
    assert result.returncode != 0
    assert (
        f"SECRET_KEY_FILE cannot be read: [Errno 2] No such file or directory: '{tmp_path}/missing'"
        in result.stderr
    )


def test_the_development_env_file_fills_in_what_the_environment_leaves_unset(
    tmp_path: Path,
) -> None:
    dot_env = tmp_path / ".env"
    dot_env.write_text("# development\nDEBUG=1\nTIME_ZONE=UTC\n")
    unset = {k: v for k, v in clean_env({}).items() if k not in ("DEBUG", "TIME_ZONE")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env={**unset, "ENV_FILE": str(dot_env)}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # DEBUG=1 from the file: no secret needed
    assert read_setting({"ENV_FILE": str(dot_env), "DEBUG": "1"}, "TIME_ZONE") == "'UTC'"
    # The environment wins over the file: DEBUG=0 is production, which needs its secrets.
    result = run_django({"ENV_FILE": str(dot_env), "DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_time_zone_and_language_defaults(settings) -> None:
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "ja"
