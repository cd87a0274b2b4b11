"""Record exports: small ones answered at once, large ones run as a background task."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scope
from accounts.models import User
from audit.services import Action, audit_record
from exports import jobs, priority
from exports.files import export_dir, file_name_for, write_export
from exports.models import ExportJob
from exports.registry import KINDS, ExportKind


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
            jobs.job_enqueue(job)
            return ExportRequest(kind=kind, total=total, job=job)
    target = export_dir() / f"inline-{now:%Y%m%d%H%M%S%f}-{user.pk}.xlsx"
    write_export(
        kind=kind, user=user, params=params, include_personal=include_personal, target=target
    )
    return ExportRequest(kind=kind, total=total, path=target, file_name=file_name_for(kind, now))


def export_job_run(job: ExportJob) -> dict[str, Any]:
    """The background part of an export: write the file, reporting progress on the job row.
    Run through `exports.jobs.job_run`, which records how it ended."""
    kind = KINDS[job.kind]
    params = QueryDict(mutable=True)
    for key, values in job.params.items():
        params.setlist(key, values)

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(done_rows=done)
        priority.pace()

    # The requester's scope is checked again now: rights lost since the request count.
    if not scope.is_admin(job.requested_by):
        raise jobs.JobFailed(_("出力する権限がなくなったため、出力しませんでした。"))
    done = write_export(
        kind=kind,
        user=job.requested_by,
        params=params,
        include_personal=job.include_personal,
        target=export_dir() / f"{job.pk}.xlsx",
        progress=progress,
    )
    return {
        "done_rows": done,
        "total_rows": done,
        "file_name": file_name_for(kind, job.created_at),
    }


def export_jobs_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the files of expired jobs; returns how many were expired."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED)
    count = 0
    for job in expired:
        jobs.part_files_remove(job)
        job.status = ExportJob.Status.EXPIRED
        job.save(update_fields=["status"])
        count += 1
    return count
