"""The ledger import's confirm step as a background job (the same progress page as exports).

The preview (in the request) saves the upload under PRIVATE_ROOT/imports, owner-only. The
confirm queues a job; the job checks the file again under the user's current scope, imports it
all or nothing (`exports.ledger_write`) and deletes the file. A file not confirmed is deleted
after LEDGER_UPLOAD_TTL_HOURS by the workers' housekeeping (and `manage.py expire_exports`).
"""

import datetime as dt
import io
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import User
from exports import jobs
from exports.files import upload_dir
from exports.ledger import file_digest, ledger_parse
from exports.ledger_write import ledger_import
from exports.models import ExportJob


class AlreadyImporting(Exception):
    """The same file is being imported (queued or running) already."""


def duplicate_message() -> str:
    return _("このファイルは取込中または取込済みです。")


def dedupe_key(digest: str) -> str:
    return f"ledger:{digest}"


def ledger_import_request(
    *, user: User, token: str, name: str, digest: str, rows: int
) -> ExportJob:
    """Queue the import of a previewed upload. Raises AlreadyImporting for a second confirm
    of the same file while the first is queued or running."""
    now = timezone.now()
    key = dedupe_key(digest)
    if ExportJob.objects.filter(dedupe_key=key, status__in=jobs.ACTIVE).exists():
        raise AlreadyImporting
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                requested_by=user,
                kind=ExportJob.Kind.LEDGER_IMPORT,
                params={"token": token, "name": name[:200], "digest": digest},
                include_personal=True,
                total_rows=rows,
                dedupe_key=key,
                expires_at=now + dt.timedelta(hours=settings.EXPORT_FILE_TTL_HOURS),
            )
            jobs.job_enqueue(job)
    except IntegrityError as exc:
        # Two confirms at once: the unique constraint on the active job's key let one in.
        raise AlreadyImporting from exc
    return job


def _progress_reporter(job_id: Any) -> Callable[[int], None]:
    """Progress written from a second connection: the import's own transaction would hide it
    until the commit. (SQLite allows one writer: no progress there during the import.)"""

    def report(done: int) -> None:
        def update() -> None:
            try:
                ExportJob.objects.filter(pk=job_id).update(done_rows=done)
            finally:
                connection.close()

        if connection.vendor == "sqlite":
            return
        thread = threading.Thread(target=update, daemon=True)
        thread.start()
        thread.join(timeout=10)

    return report


def ledger_import_job_run(job: ExportJob) -> dict[str, Any]:
    path = upload_dir() / f"{job.params['token']}.xlsx"
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise jobs.JobFailed(
            _("取り込むファイルが見つかりません（期限切れ）。もう一度ファイルを選んでください。")
        ) from exc
    try:
        if file_digest(data) != job.params["digest"]:
            raise jobs.JobFailed(_("ファイルが変わっています。もう一度ファイルを選んでください。"))
        # Checked again: the scope or the data may have changed since the preview.
        parsed = ledger_parse(stream=io.BytesIO(data), user=job.requested_by)
        if not parsed.ok:
            raise jobs.JobFailed(
                _(
                    "確認の後にデータや担当範囲が変わったため、%(n)d件のエラーがあります。"
                    "何も取り込んでいません。もう一度ファイルを選んで確認してください。"
                )
                % {"n": len(parsed.errors)}
            )
        ExportJob.objects.filter(pk=job.pk).update(total_rows=len(parsed.rows))
        try:
            batch = ledger_import(
                user=job.requested_by,
                parsed=parsed,
                file_name=job.params["name"],
                digest=job.params["digest"],
                progress=_progress_reporter(job.pk),
            )
        except IntegrityError as exc:
            raise jobs.JobFailed(
                _(
                    "同じ行が同時に別の取込で登録されたため、何も取り込んでいません。"
                    "もう一度取り込んでください。"
                )
            ) from exc
    except jobs.JobFailed:
        path.unlink(missing_ok=True)
        raise
    # Imported: the file (names, notes) is not kept. A failure other than the above (the
    # worker lost its database) keeps it for the retry; the TTL removes it in the end.
    path.unlink(missing_ok=True)
    return {"done_rows": len(parsed.rows), "total_rows": len(parsed.rows), "batch": batch}
