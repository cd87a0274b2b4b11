"""Workers yield to people: `run_worker` lowers its own CPU and I/O priority (exports.priority)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from exports import priority

BASE_DIR = Path(__file__).resolve().parents[2]


def test_io_priority_setting_reads_the_classes():
    assert priority.io_priority_setting("best-effort:7") == priority.IoPriority("best-effort", 7)
    assert priority.io_priority_setting("best-effort") == priority.IoPriority("best-effort", 7)
    assert priority.io_priority_setting("idle") == priority.IoPriority("idle", 0)
    assert priority.io_priority_setting("none") is None
    assert priority.IoPriority("best-effort", 7).value == (2 << 13) | 7
    with pytest.raises(ValueError, match="WORKER_IO_PRIORITY"):
        priority.io_priority_setting("best-effort:9")


def test_lower_priority_sets_nice_and_never_raises_it():
    """In a child process, so the test run keeps its own priority."""
    code = (
        "import os, django; django.setup();"
        "from exports.priority import lower_priority;"
        "applied = lower_priority(); print(os.getpriority(os.PRIO_PROCESS, 0), applied.nice);"
        "os.setpriority(os.PRIO_PROCESS, 0, 15); applied = lower_priority();"
        "print(os.getpriority(os.PRIO_PROCESS, 0), applied.nice)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "WORKER_NICE": "10"}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    first, second = out.stdout.split("\n")[:2]
    assert first.split() == ["10", "10"] or int(first.split()[0]) >= 10
    assert second.split() == ["15", "15"]


def test_a_process_that_is_not_a_postgres_backend_is_never_reniced():
    assert not priority.local_backend_pid(connection, os.getpid())
    assert not priority.local_backend_pid(connection, 2**22 + 12345)


@pytest.mark.django_db
def test_the_worker_backend_is_reniced_when_local_and_never_fails(settings):
    settings.WORKER_NICE = 10
    settings.WORKER_RENICE_DATABASE = True
    connection.ensure_connection()
    priority.renice_database_backend(sender=None, connection=connection)  # never raises
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    if priority.local_backend_pid(connection, pid) and os.geteuid() == 0:
        assert os.getpriority(os.PRIO_PROCESS, pid) >= 10


def _autogroup_files(tmp_path, monkeypatch, *, enabled="1", nice=0):
    group = tmp_path / "autogroup"
    group.write_text(f"/autogroup-85 nice {nice}\n")
    switch = tmp_path / "sched_autogroup_enabled"
    switch.write_text(f"{enabled}\n")
    monkeypatch.setattr(priority, "AUTOGROUP", group)
    monkeypatch.setattr(priority, "AUTOGROUP_ENABLED", switch)
    return group


def test_a_session_leader_lowers_its_autogroup_nice_and_never_raises_it(tmp_path, monkeypatch):
    group = _autogroup_files(tmp_path, monkeypatch)
    monkeypatch.setattr(os, "getsid", lambda _pid: os.getpid())
    assert priority._lower_autogroup_nice(10) == 10
    assert group.read_text() == "10\n"
    group.write_text("/autogroup-85 nice 15\n")
    assert priority._lower_autogroup_nice(10) == 15
    assert group.read_text() == "/autogroup-85 nice 15\n"


def test_a_worker_sharing_its_session_leaves_the_autogroup_alone(tmp_path, monkeypatch):
    """The autogroup is the session's: lowering it would slow whatever started the worker."""
    group = _autogroup_files(tmp_path, monkeypatch)
    monkeypatch.setattr(os, "getsid", lambda _pid: os.getpid() + 1)
    assert priority._lower_autogroup_nice(10) == "session"
    assert group.read_text() == "/autogroup-85 nice 0\n"
    _autogroup_files(tmp_path, monkeypatch, enabled="0")
    monkeypatch.setattr(os, "getsid", lambda _pid: os.getpid())
    assert priority._lower_autogroup_nice(10) == "off"
    monkeypatch.setattr(priority, "AUTOGROUP", tmp_path / "missing")
    assert priority._lower_autogroup_nice(10) == "off"
