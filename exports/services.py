"""Record exports: small ones answered at once, large ones run as a background task."""

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone

from accounts import scope
from accounts.models import User
from audit.services import Action, audit_record
from core.excel import SafeSheet, new_workbook, write_table
from exports.models import ExportJob
from exports.registry import KINDS, ExportKind


def export_dir() -> Path:
    path = Path(settings.PRIVATE_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_name_for(kind: ExportKind, when: dt.datetime) -> str:
    return f"{kind.key}-{timezone.localtime(when):%Y%m%d-%H%M%S}.xlsx"


def write_export(
    *,
    kind: ExportKind,
    user: User,
    params: QueryDict,
    include_personal: bool,
    target: Path,
    progress: Any = None,
) -> int:
    """Stream the rows from the database into a write-only workbook at `target`."""
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet(title=str(kind.label)[:31]))
    # The rows come from a server-side cursor, for which PostgreSQL plans to fetch only the
    # first 10% quickly: at national scale that plan walked every consultation in municipality
    # order (bench/, the export measurement). Plan for all the rows, for this export only.
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET cursor_tuple_fraction = 1.0")
    try:
        count = write_table(
            sheet,
            kind.columns_for(include_personal),
            kind.rows(user, params, include_personal),
            progress=progress,
        )
    finally:
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("RESET cursor_tuple_fraction")
    # Save next to the target and rename, so a half-written file is never served.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(fd)
    workbook.save(tmp)
    Path(tmp).replace(target)
    return count


@dataclass
class ExportRequest:
    kind: ExportKind
    total: int
    job: ExportJob | None = None
    path: Path | None = None
    file_name: str = ""


def export_request(
    *,
    user: User,
    kind_key: str,
    params: QueryDict,
    include_personal: bool,
    reason: str,
    request: Any = None,
) -> ExportRequest:
    """Check, audit and either write the file now or queue it.

    The audit row (filter, row count, reason) is written before any data leaves the database;
    if it cannot be written, nothing is exported.
    """
    if not scope.is_admin(user):
        raise PermissionDenied
    kind = KINDS[kind_key]
    if include_personal and not reason.strip():
        raise ValueError("a reason is required for personal data")
    # Raises InvalidExportFilter before anything is written: an invalid filter exports nothing.
    recorded = kind.audit_filters(user, params)
    filters = {key: params.getlist(key) for key in sorted(params)}
    total = kind.queryset(user, params).count()
    now = timezone.now()
    with transaction.atomic():
        audit_record(
            action=Action.EXPORT,
            request=request,
            user=user,
            object_type=f"export.{kind.key}",
            filters={**recorded, "include_personal": include_personal},
            row_count=total,
            reason=reason.strip(),
        )
        if total > settings.EXPORT_BACKGROUND_THRESHOLD:
            job = ExportJob.objects.create(
                requested_by=user,
                kind=kind.key,
                params=filters,
                include_personal=include_personal,
                reason=reason.strip(),
                total_rows=total,
                expires_at=now + dt.timedelta(hours=settings.EXPORT_FILE_TTL_HOURS),
            )
            from exports.tasks import run_export_job

            transaction.on_commit(lambda: run_export_job.enqueue(str(job.pk)))
            return ExportRequest(kind=kind, total=total, job=job)
    target = export_dir() / f"inline-{now:%Y%m%d%H%M%S%f}-{user.pk}.xlsx"
    write_export(
        kind=kind, user=user, params=params, include_personal=include_personal, target=target
    )
    return ExportRequest(kind=kind, total=total, path=target, file_name=file_name_for(kind, now))


def export_job_run(*, job_id: str) -> None:
    """The background part: write the file, reporting progress on the job row."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status != ExportJob.Status.QUEUED:
        return
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)
    kind = KINDS[job.kind]
    params = QueryDict(mutable=True)
    for key, values in job.params.items():
        params.setlist(key, values)
    target = export_dir() / f"{job.pk}.xlsx"

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done_rows=done)

    try:
        # The requester's scope is checked again now: rights lost since the request count.
        if not scope.is_admin(job.requested_by):
            raise PermissionDenied
        done = write_export(
            kind=kind,
            user=job.requested_by,
            params=params,
            include_personal=job.include_personal,
            target=target,
            progress=progress,
        )
    except Exception as exc:
        target.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=type(exc).__name__[:500],
            finished_at=timezone.now(),
        )
        raise
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        done_rows=done,
        total_rows=done,
        file_name=file_name_for(kind, job.created_at),
        finished_at=timezone.now(),
    )


def export_jobs_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of expired jobs; returns how many were expired."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED)
    count = 0
    for job in expired:
        (export_dir() / f"{job.pk}.xlsx").unlink(missing_ok=True)
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["status"])
        count += 1
    return count
