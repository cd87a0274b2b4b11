"""The background worker that survives faults (`manage.py run_worker`).

It runs django-tasks-db's worker loop and adds what that loop lacks:

- a heartbeat: a thread (its own database connection) writes `WorkerBeat.seen_at` every
  TASK_HEARTBEAT_SECONDS and, every few beats, runs the housekeeping (`exports.jobs`): tasks
  of workers silent for TASK_WORKER_LEASE_SECONDS are reaped, their jobs retried or failed;
- reconnecting: a database error (PostgreSQL restarted, connection dropped, statement timeout)
  does not end the process. The loop closes its connections, waits (1 s doubling up to 30 s)
  and carries on; a task it was running when the connection went is reaped at once and
  retried (it is still its own, so no lease has to expire);
- temporary files under PRIVATE_ROOT (exports.files), and the directories of dead processes
  removed at start.
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from exports import files, jobs
from exports.models import WorkerBeat

logger = logging.getLogger(__name__)

RECONNECT_ERRORS = (OperationalError, InterfaceError)
MAX_BACKOFF = 30.0


def close_connections() -> None:
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DatabaseError:
            conn.connection = None


def _worker_session_settings(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    """Workers run long exports and imports: their own, longer, statement limit, and at most
    DB_WORKER_PARALLEL_WORKERS parallel query processes (0 by default).

    A million-row export's query ran with PostgreSQL's parallel workers: processes of the
    server, not of the worker's backend, so neither its lowered priority (exports.priority)
    nor its session's reach them, and they took the cores from the counselors' pages at full
    priority (`make bench`, the background comparison: IO:DSMFillZeroWrite and two extra
    processes in pg_stat_activity). Without them the query runs in the one backend whose
    priority the worker lowered."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('max_parallel_workers_per_gather', %s, false)",
                [
                    str(settings.DB_WORKER_STATEMENT_TIMEOUT_MS),
                    str(settings.DB_WORKER_PARALLEL_WORKERS),
                ],
            )


def beat(worker_id: str) -> None:
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "seen_at": timezone.now(),
        },
    )


class Heartbeat(threading.Thread):
    """Beats and housekeeping from a thread of its own; survives database errors."""

    def __init__(self, worker_id: str, *, interval: float, housekeeping_every: int = 3) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.housekeeping_every = housekeeping_every
        self.stopped = threading.Event()

    def run(self) -> None:
        count = 0
        while not self.stopped.is_set():
            try:
                beat(self.worker_id)
                if count % self.housekeeping_every == 0:
                    counts = jobs.housekeeping()
                    if any(counts.values()):
                        logger.info("housekeeping: %s", counts)
            except Exception:
                logger.warning("heartbeat failed; retrying", exc_info=True)
                close_connections()
            count += 1
            self.stopped.wait(self.interval)
        close_connections()


def reap_own(worker_id: str) -> int:
    """Tasks this worker claimed and no longer runs (its connection went mid-task)."""
    lost = 0
    for task in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        if task.worker_ids and task.worker_ids[-1] == worker_id:
            jobs.task_mark_lost(task)
            lost += 1
    if lost:
        jobs.jobs_reap()
    return lost


class SupervisedWorker:
    def __init__(
        self,
        *,
        worker_id: str,
        make_worker: Callable[[], Worker],
        sleep: Callable[[float], None] = time.sleep,
        max_reconnects: int | None = None,
        heartbeat: bool = True,
    ) -> None:
        self.worker_id = worker_id
        self.make_worker = make_worker
        self.sleep = sleep
        self.max_reconnects = max_reconnects
        self.reconnects = 0
        self.heartbeat = heartbeat

    def run(self) -> None:
        """Run the worker loop; on a database error reconnect and run it again. Returns when
        the loop itself returns (batch or max-tasks mode); a signal ends it via SystemExit."""
        connection_created.connect(_worker_session_settings, dispatch_uid="worker-session")
        files.use_private_tempdir()
        files.stale_tempdirs_remove()
        heartbeat = Heartbeat(self.worker_id, interval=settings.TASK_HEARTBEAT_SECONDS)
        backoff = 1.0
        started = False
        try:
            while True:
                try:
                    close_old_connections()
                    beat(self.worker_id)
                    backoff = 1.0
                    if not started and self.heartbeat:
                        heartbeat.start()
                        started = True
                    if self.reconnects:
                        reap_own(self.worker_id)
                    worker = self.make_worker()
                    worker.configure_signals()
                    try:
                        worker.run()
                    finally:
                        worker.reset_signals()
                    return
                except RECONNECT_ERRORS as exc:
                    self.reconnects += 1
                    logger.warning(
                        "database unavailable (%s); reconnecting in %.0f s",
                        type(exc).__name__,
                        backoff,
                    )
                    close_connections()
                    if self.max_reconnects is not None and self.reconnects > self.max_reconnects:
                        raise
                    self.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
        finally:
            heartbeat.stopped.set()
            if started:
                heartbeat.join(timeout=5)
            try:
                close_old_connections()
                WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
            except DatabaseError:
                pass
            close_connections()
