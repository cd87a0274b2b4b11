"""Background jobs: one lifecycle for every job kind (exports, ledger imports, later ones).

A job row (`ExportJob`) is what the user sees; a django-tasks-db task runs it. Every job ends
by itself in a final state:

- the task returns: DONE;
- the task raises (storage full, rights lost, the worker told to stop twice): FAILED with a
  message saying what happened and what to do;
- the worker running it dies (SIGKILL, machine lost): its heartbeat stops, and after
  TASK_WORKER_LEASE_SECONDS any other worker's reaper marks the task failed and queues the job
  again, at most TASK_MAX_ATTEMPTS times, then fails it;
- the task row is gone or ended without the job following (an old worker, a crash between the
  two writes): the reaper makes the job follow the task.

Workers are `manage.py run_worker` (exports.worker): heartbeats, reaper, reconnects.
"""

import datetime as dt
import logging
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from exports import files
from exports.models import ExportJob, WorkerBeat

logger = logging.getLogger(__name__)

Status = ExportJob.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)
# The one task that runs every job, looked up by name so that this module (imported by the
# services that queue jobs) does not import the task module (which imports those services).
TASK_PATH = "exports.tasks.run_job"

WORKER_LOST = gettext_noop(
    "処理していた作業プロセスが停止しました。自動での再実行も失敗したため、もう一度依頼してください。"
)
STOPPED = gettext_noop("作業プロセスが停止を指示されたため中断しました。もう一度依頼してください。")
UNEXPECTED = gettext_noop(
    "予期しないエラーで中断しました。管理者に連絡してください（ログに詳細があります）。"
)
TASK_LOST = gettext_noop("処理の記録が見つかりません。もう一度依頼してください。")
DATABASE_LOST = gettext_noop(
    "データベースとの接続が切れたため中断しました。自動での再実行も失敗したため、"
    "時間をおいてもう一度依頼してください。"
)
# Failures worth another attempt: the worker died, or its database connection went.
RETRYABLE = {
    "exports.jobs.WorkerLost": WORKER_LOST,
    "django.db.utils.OperationalError": DATABASE_LOST,
    "django.db.utils.InterfaceError": DATABASE_LOST,
}


class WorkerLost(Exception):
    """Recorded on a task whose worker stopped sending heartbeats."""


class JobFailed(Exception):
    """A job's own failure with a message for the user (already translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.TASK_WORKER_LEASE_SECONDS)


def _enqueue_now(job: ExportJob) -> None:
    # The task row and the job's pointer to it commit together: a worker never starts a task
    # its job does not know (job_run refuses a task that is not the job's own).
    with transaction.atomic():
        result = import_string(TASK_PATH).enqueue(str(job.pk))
        ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))


def job_enqueue(job: ExportJob) -> None:
    """Queue the job's task when the current transaction commits."""
    transaction.on_commit(lambda: _enqueue_now(job))


def _fail(job_id: uuid.UUID | str, message: str, *, statuses: tuple[str, ...] = ACTIVE) -> bool:
    return bool(
        ExportJob.objects.filter(pk=job_id, status__in=statuses).update(
            status=Status.FAILED, error=message[:500], finished_at=timezone.now()
        )
    )


def part_files_remove(job: ExportJob) -> None:
    for name in (f"{job.pk}.xlsx", f"{job.pk}.xlsx.part"):
        (Path(settings.PRIVATE_ROOT) / "exports" / name).unlink(missing_ok=True)


def job_run(job_id: str, body: Callable[[ExportJob], dict[str, Any]], *, task_id: str = "") -> None:
    """Run `body(job)` for a queued job and record how it ended.

    `body` returns the fields to set on success. Only a QUEUED job starts, and only from its
    own task (a stale duplicate task leaves it alone); it moves to RUNNING in one
    conditional update.
    """
    own = Q(task_id="") | Q(task_id=task_id) if task_id else Q()
    started = ExportJob.objects.filter(own, pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, done_rows=0
    )
    if not started:
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        fields = body(job)
    except files.StorageError as exc:
        part_files_remove(job)
        _fail(job.pk, exc.message)
        raise
    except JobFailed as exc:
        part_files_remove(job)
        _fail(job.pk, exc.message)
        raise
    except (OperationalError, InterfaceError):
        # The database went away: the job stays RUNNING and the task fails with this error;
        # the reaper queues the job again (see RETRYABLE). Nothing could be recorded now.
        part_files_remove(job)
        raise
    except (SystemExit, KeyboardInterrupt):
        part_files_remove(job)
        _fail(job.pk, _(STOPPED))
        raise
    except BaseException:
        part_files_remove(job)
        _fail(job.pk, _(UNEXPECTED))
        raise
    ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
        status=Status.DONE, finished_at=timezone.now(), error="", **fields
    )


def job_requeue(job: ExportJob, message: str = WORKER_LOST) -> bool:
    """A job whose worker died or lost its database: queue it again, or fail it with
    `message` after TASK_MAX_ATTEMPTS starts. Returns whether it was queued again."""
    part_files_remove(job)
    if job.attempts + 1 >= settings.TASK_MAX_ATTEMPTS:
        _fail(job.pk, _(message))
        return False
    # Conditional on the task it had: a second reaper that read the same job does nothing.
    updated = ExportJob.objects.filter(pk=job.pk, status__in=ACTIVE, task_id=job.task_id).update(
        status=Status.QUEUED, done_rows=0, attempts=job.attempts + 1
    )
    if updated:
        _enqueue_now(job)
    return bool(updated)


def _lost_tasks(now: dt.datetime) -> list["DBTaskResult[Any, Any]"]:
    """Running tasks whose worker has not sent a heartbeat within the lease."""
    alive = set(
        WorkerBeat.objects.filter(seen_at__gte=now - lease()).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - lease()
    )
    return [t for t in running if not t.worker_ids or t.worker_ids[-1] not in alive]


def task_mark_lost(task: "DBTaskResult[Any, Any]") -> None:
    try:
        raise WorkerLost(f"worker {task.worker_ids[-1] if task.worker_ids else '?'} stopped")
    except WorkerLost as exc:
        task.set_failed(exc)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def jobs_reap(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Reap tasks of dead workers and make every unfinished job follow its task."""
    now = now or timezone.now()
    counts = {"tasks_lost": 0, "requeued": 0, "failed": 0}
    for task in _lost_tasks(now):
        with transaction.atomic():
            locked = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(pk=task.pk, status=TaskResultStatus.RUNNING)
                .first()
            )
            if locked is None:
                continue
            task_mark_lost(locked)
            counts["tasks_lost"] += 1
            logger.warning("Task %s lost with its worker; marked failed", task.pk)

    unfinished = ExportJob.objects.filter(status__in=ACTIVE)
    tasks = {
        str(t.pk): t
        for t in DBTaskResult.objects.filter(
            pk__in=[_uuid(j.task_id) for j in unfinished if _uuid(j.task_id)]
        ).only("id", "status", "exception_class_path", "enqueued_at")
    }
    for listed in unfinished:
        with transaction.atomic():
            # One reaper at a time per job; a job whose row is busy is looked at next time.
            job = (
                ExportJob.objects.select_for_update(skip_locked=True)
                .filter(pk=listed.pk, status__in=ACTIVE, task_id=listed.task_id)
                .first()
            )
            if job is not None:
                _reap_job(job, tasks, now, counts)
    return counts


def _reap_job(
    job: ExportJob,
    tasks: dict[str, "DBTaskResult[Any, Any]"],
    now: dt.datetime,
    counts: dict[str, int],
) -> None:
    if not job.task_id:
        # Queued, but the enqueue after commit never happened (the process died between).
        if job.created_at < now - lease():
            _enqueue_now(job)
        return
    key = _uuid(job.task_id)
    found = tasks.get(str(key)) if key else None
    if found is None:
        counts["failed"] += _fail(job.pk, _(TASK_LOST))
    elif found.status == TaskResultStatus.FAILED:
        if found.exception_class_path in RETRYABLE:
            if job_requeue(job, RETRYABLE[found.exception_class_path]):
                counts["requeued"] += 1
            else:
                counts["failed"] += 1
        else:
            # The task raised past the job's own handler (e.g. a SIGKILL-free crash while
            # recording the failure): the job follows it.
            counts["failed"] += _fail(job.pk, _(UNEXPECTED))
    elif found.status == TaskResultStatus.SUCCESSFUL:
        counts["failed"] += _fail(job.pk, _(UNEXPECTED))


def housekeeping(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The reaper plus the files nobody needs any more: dead processes' temporary
    directories, uploaded ledgers past LEDGER_UPLOAD_TTL_HOURS, old heartbeat rows."""
    now = now or timezone.now()
    counts = jobs_reap(now=now)
    counts["tempdirs"] = files.stale_tempdirs_remove()
    counts["uploads"] = files.files_older_than(
        Path(settings.PRIVATE_ROOT) / "imports",
        dt.timedelta(hours=settings.LEDGER_UPLOAD_TTL_HOURS),
        now=now,
    )
    WorkerBeat.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()
    return counts


def workers_seen(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return WorkerBeat.objects.filter(seen_at__gte=now - lease()).count()


def error_summary(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(exc)).strip()[:500]
