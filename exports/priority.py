"""Background work yields to people: the worker's CPU and I/O priority (`manage.py run_worker`).

A worker exporting a million rows or importing a 20,000-row ledger would otherwise take the
cores from the counselors' pages on the same machine. At start the worker lowers its own CPU
priority (nice `WORKER_NICE`, 10) and I/O priority (`WORKER_IO_PRIORITY`: best-effort 7 by
default, or `idle`, or `none`), before any thread starts, so that its threads inherit them.
It never raises a priority (a worker started under `nice -n 15` stays at 15) and never fails
for lack of permission: a priority it cannot set is logged and left.

The database backends that serve the worker do most of an export's work (the server-side
cursor's query). When PostgreSQL runs on the same host and this process may change them (the
same user as the server, or root), each new connection's backend gets the same priorities:
`WORKER_RENICE_DATABASE` (on). Its pid is checked against /proc first (a `postgres:` process
whose client port is this connection's own), so a database on another host is never touched.

Linux's autogroup scheduling (`/proc/sys/kernel/sched_autogroup_enabled` = 1, the default of
many kernels) shares the CPU between sessions first and only then between a session's processes
by their nice: a worker at nice 10 in the same session as the web server yields to it, but a
worker in a session of its own takes a full session's share from everything else (the web's
database backends included) whatever its nice. So a worker that leads its own session (as
under systemd, which starts every service with setsid, or `setsid manage.py run_worker`) also
lowers its autogroup's nice to `WORKER_NICE` (sched(7): /proc/self/autogroup). It never calls
setsid itself: a worker started from a terminal keeps its session, so Ctrl-C still stops it.
(Measured on a 2-core VM with autogroups on: two CPU-bound processes at nice 10, each leading
its own session with its autogroup at nice 10, raised the 55-user p95 from 320 to 330 ms while
taking half a core; most of what the background comparison of `make bench` showed beyond
that came from PostgreSQL's buffers: README, "Deploying on PostgreSQL".) Under systemd
`Nice=`, `CPUWeight=` and `IOSchedulingClass=` do the same from outside; the I/O priority
counts fully only with the bfq scheduler (mq-deadline on recent kernels honours only the class,
none ignores it).
"""

import ctypes
import errno
import logging
import os
import platform
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

# ioprio_set(2) has no wrapper in Python: the syscall by number, per architecture.
IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "i686": 289, "armv7l": 314, "ppc64le": 273}
IOPRIO_WHO_PROCESS = 1
IOPRIO_CLASS_SHIFT = 13
IOPRIO_CLASSES = {"realtime": 1, "best-effort": 2, "idle": 3}


@dataclass(frozen=True)
class IoPriority:
    klass: str  # best-effort | idle
    level: int  # 0 (highest) … 7 (lowest); only for best-effort

    @property
    def value(self) -> int:
        return (IOPRIO_CLASSES[self.klass] << IOPRIO_CLASS_SHIFT) | self.level


def io_priority_setting(text: str) -> IoPriority | None:
    """`best-effort:7`, `best-effort` (7), `idle`, or `none`/empty (leave it)."""
    text = text.strip().lower()
    if text in ("", "none", "off"):
        return None
    klass, _, level = text.partition(":")
    if klass == "idle":
        return IoPriority("idle", 0)
    if klass == "best-effort":
        value = int(level) if level else 7
        if 0 <= value <= 7:
            return IoPriority("best-effort", value)
    raise ValueError(f"WORKER_IO_PRIORITY: {text!r} is not best-effort[:0-7], idle or none")


def _ioprio_set(pid: int, priority: IoPriority) -> None:
    number = IOPRIO_SET.get(platform.machine())
    if number is None or not hasattr(ctypes.CDLL(None, use_errno=True), "syscall"):
        raise OSError(errno.ENOSYS, "ioprio_set is not known on this platform")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(number, IOPRIO_WHO_PROCESS, pid, priority.value) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _lower_nice(pid: int, nice: int) -> int:
    """Set `pid`'s nice to `nice` unless it is lower already (never raise a priority)."""
    current = os.getpriority(os.PRIO_PROCESS, pid)
    if current < nice:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
        return nice
    return current


AUTOGROUP = Path("/proc/self/autogroup")
AUTOGROUP_ENABLED = Path("/proc/sys/kernel/sched_autogroup_enabled")


@dataclass
class Applied:
    nice: int | None
    io: str | None
    # The autogroup's nice when set; else why not: "off" (no autogroup scheduling here),
    # "session" (this process does not lead its session: the nice above ranks it there).
    autogroup: int | str | None = None


def _autogroup_nice(text: str) -> int:
    """`/autogroup-85 nice 0` → 0."""
    return int(text.split()[-1])


def _lower_autogroup_nice(nice: int) -> int | str:
    """Raise this process's autogroup nice to `nice` (never below what it is) when it leads
    its session.

    The autogroup is the session's, so a process that does not lead it would lower the
    priority of whatever started it (a shell, the web server): then nothing is changed."""
    try:
        enabled = AUTOGROUP_ENABLED.read_text().strip() == "1"
        current = _autogroup_nice(AUTOGROUP.read_text())
    except (OSError, ValueError, IndexError):
        return "off"
    if not enabled:
        return "off"
    if os.getsid(0) != os.getpid():
        return "session"
    if current < nice:
        AUTOGROUP.write_text(f"{nice}\n")
        return nice
    return current


def lower_priority(pid: int = 0) -> Applied:
    """Lower the CPU and I/O priority of `pid` (0: this process; on Linux the calling thread,
    inherited by the threads it starts). Permission errors are logged, never raised."""
    applied = Applied(nice=None, io=None)
    nice = settings.WORKER_NICE
    if nice:
        try:
            applied.nice = _lower_nice(pid, nice)
        except OSError as exc:
            logger.info("worker priority: nice %s not set for %s (%s)", nice, pid or "self", exc)
        if pid in (0, os.getpid()):
            try:
                applied.autogroup = _lower_autogroup_nice(nice)
            except OSError as exc:
                logger.info("worker priority: autogroup nice %s not set (%s)", nice, exc)
    io = io_priority_setting(settings.WORKER_IO_PRIORITY)
    if io is not None:
        try:
            _ioprio_set(pid, io)
            applied.io = f"{io.klass}:{io.level}" if io.klass == "best-effort" else io.klass
        except OSError as exc:
            logger.info("worker priority: I/O %s not set for %s (%s)", io, pid or "self", exc)
    return applied


def _client_port(connection: BaseDatabaseWrapper) -> int | None:
    """This connection's local TCP port (None for a Unix socket)."""
    raw: Any = connection.connection
    fileno = getattr(getattr(raw, "pgconn", None), "socket", None)
    if fileno is None:
        return None
    with socket.socket(fileno=os.dup(fileno)) as sock:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        return int(sock.getsockname()[1])


def local_backend_pid(connection: BaseDatabaseWrapper, backend_pid: int) -> bool:
    """Whether `backend_pid` is this connection's PostgreSQL backend on this host: a
    `postgres:` process whose title names this connection's client port (or, over a Unix
    socket, its database), so that a database server elsewhere is never mistaken for it."""
    try:
        title = Path(f"/proc/{backend_pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    if "postgres:" not in title:
        return False
    port = _client_port(connection)
    if port is not None:
        return f"({port})" in title
    host = str(connection.settings_dict.get("HOST") or "")
    return (not host or host.startswith("/")) and "[local]" in title


def renice_database_backend(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    """connection_created: give the worker's own PostgreSQL backend its priorities, when it
    runs on this host and this process may (same user or root). Never fails."""
    if connection.vendor != "postgresql" or not settings.WORKER_RENICE_DATABASE:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            row = cursor.fetchone()
        backend_pid = int(row[0]) if row else 0
        if backend_pid and local_backend_pid(connection, backend_pid):
            applied = lower_priority(backend_pid)
            logger.debug("worker priority: database backend %s: %s", backend_pid, applied)
    except Exception:  # a priority is an optimisation, never a failure
        logger.debug("worker priority: database backend left as it is", exc_info=True)


# Pacing: a worker rests between batches while people wait for the CPU.
#
# A lower nice decides who runs when both want a core, but a worker that is always runnable
# still takes every core the pages leave for a moment, and a request that arrives then waits
# for the worker's time slice. So, like PostgreSQL's vacuum_cost_delay, a worker's long loop
# calls `pace()` between batches; once per `WORKER_YIELD_SLICE_SECONDS` of work it reads how
# long tasks waited for a CPU since the last look (Linux's pressure stall information,
# /proc/pressure/cpu, "some" line: the share of that time in which at least one runnable
# task waited). At `WORKER_YIELD_PRESSURE` percent or more it sleeps
# `WORKER_YIELD_RATIO` × the time it worked: on a busy machine the worker then runs at most
# 1 / (1 + ratio) of the time, and on an idle one it never rests. It never rests inside a
# transaction (locks held would make other writers wait), and where the kernel has no
# pressure information (not Linux, or PSI off) it does not pace at all.
CPU_PRESSURE = Path("/proc/pressure/cpu")


def cpu_stall_microseconds(path: Path = CPU_PRESSURE) -> int | None:
    """The kernel's running total of microseconds in which some task waited for a CPU
    (`some … total=N`), or None where there is no such file."""
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("some "):
            for field in line.split()[1:]:
                key, _, value = field.partition("=")
                if key == "total" and value.isdigit():
                    return int(value)
    return None


@dataclass
class Pacer:
    ratio: float
    pressure: float  # percent
    slice_seconds: float
    clock: Any = time.monotonic
    sleep: Any = time.sleep
    read_stall: Any = cpu_stall_microseconds
    rested_seconds: float = 0.0
    rests: int = 0
    _started: float = 0.0
    _stall: int = 0

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self._started = self.clock()
        self._stall = self.read_stall() or 0

    def tick(self) -> None:
        """Called between batches: rests when the slice is over and others waited."""
        now = self.clock()
        worked = now - self._started
        if worked < self.slice_seconds:
            return
        if transaction.get_connection().in_atomic_block:
            self.restart()
            return
        stall = self.read_stall()
        if stall is None:
            self.restart()
            return
        waited = 100.0 * (stall - self._stall) / (worked * 1_000_000)
        if waited >= self.pressure:
            rest = worked * self.ratio
            self.sleep(rest)
            self.rested_seconds += rest
            self.rests += 1
        self.restart()


_pacer: Pacer | None = None


def start_pacing() -> Pacer | None:
    """Called once by `manage.py run_worker`: from then on `pace()` rests when the machine is
    busy. None (no pacing) when WORKER_YIELD_RATIO is 0 or the kernel has no pressure file."""
    global _pacer
    ratio = settings.WORKER_YIELD_RATIO
    if ratio <= 0 or cpu_stall_microseconds() is None:
        _pacer = None
        return None
    _pacer = Pacer(
        ratio=ratio,
        pressure=settings.WORKER_YIELD_PRESSURE,
        slice_seconds=settings.WORKER_YIELD_SLICE_SECONDS,
    )
    return _pacer


def stop_pacing() -> None:
    global _pacer
    _pacer = None


def pace() -> None:
    """A worker's long loop calls this between batches (nothing happens outside a worker)."""
    if _pacer is not None:
        _pacer.tick()
