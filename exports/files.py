"""Files under PRIVATE_ROOT: export files, uploaded ledgers, temporary files, storage errors.

Personal data is written only below PRIVATE_ROOT, temporary files included: openpyxl's
write-only worksheets and Django's large uploads go through `tempfile`, whose directory is
pointed at `PRIVATE_ROOT/tmp/<host>-<pid>` for each process (`use_private_tempdir`). A process
that died leaves its directory behind; `stale_tempdirs_remove` deletes those of processes gone.
"""

import datetime as dt
import errno
import logging
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import User
from core.excel import SafeSheet, discard_workbook, new_workbook, write_table
from exports.registry import ExportKind

logger = logging.getLogger(__name__)

# Files and directories holding personal data: owner only.
FILE_MODE = 0o600
DIR_MODE = 0o700


class StorageError(Exception):
    """Writing under PRIVATE_ROOT failed for a reason the administrator must fix."""

    def __init__(self, message: str, *, cause: OSError | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause


STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def storage_message(exc: OSError) -> str:
    """The cause in Japanese, for the administrator (no path, no data)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return _(
            "保存先のディスクがいっぱいです。管理者に空き容量の確保を依頼してから、"
            "もう一度お試しください。"
        )
    if exc.errno == errno.EROFS:
        return _(
            "保存先が読み取り専用になっています。管理者にPRIVATE_ROOTの状態の確認を"
            "依頼してください。"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _(
            "保存先に書き込む権限がありません。管理者にPRIVATE_ROOTの権限の確認を依頼してください。"
        )
    return _("保存先にファイルを書き込めませんでした。管理者に連絡してください。")


def as_storage_error(exc: OSError) -> StorageError:
    logger.error("Storage error under PRIVATE_ROOT: %s", exc.strerror or type(exc).__name__)
    return StorageError(storage_message(exc), cause=exc)


def private_dir(name: str) -> Path:
    """A directory under PRIVATE_ROOT, created owner-only. Raises StorageError."""
    path = Path(settings.PRIVATE_ROOT) / name
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        raise as_storage_error(exc) from exc
    return path


def export_dir() -> Path:
    return private_dir("exports")


def upload_dir() -> Path:
    return private_dir("imports")


def tempdir_root() -> Path:
    return Path(settings.PRIVATE_ROOT) / "tmp"


def _process_tempdir_name(pid: int | None = None) -> str:
    return f"{socket.gethostname()}-{pid or os.getpid()}"


def use_private_tempdir() -> Path:
    """Point this process's temporary files at PRIVATE_ROOT/tmp/<host>-<pid>.

    If the directory cannot be made, `tempfile` is pointed at it anyway: writing a temporary
    file then fails (and is reported as a storage error) instead of landing in /tmp.
    """
    path = tempdir_root() / _process_tempdir_name()
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    except OSError as exc:
        logger.error("Cannot create the private temporary directory: %s", exc.strerror)
    tempfile.tempdir = str(path)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_tempdirs_remove() -> int:
    """Delete the temporary directories of this host's processes that no longer run."""
    root = tempdir_root()
    host = socket.gethostname()
    removed = 0
    if not root.is_dir():
        return 0
    for entry in root.iterdir():
        name_host, _sep, pid = entry.name.rpartition("-")
        if name_host != host or not pid.isdigit() or _pid_alive(int(pid)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    return removed


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path`, owner-only, all or nothing. Raises StorageError."""
    part = path.with_name(path.name + ".part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise as_storage_error(exc) from exc


def files_older_than(directory: Path, age: dt.timedelta, *, now: dt.datetime | None = None) -> int:
    """Delete the files in `directory` last modified more than `age` ago."""
    cutoff = ((now or timezone.now()) - age).timestamp()
    removed = 0
    if not directory.is_dir():
        return 0
    for entry in directory.iterdir():
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def private_root_writable() -> bool:
    """A file can be created (and removed) under PRIVATE_ROOT."""
    try:
        directory = Path(settings.PRIVATE_ROOT)
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".healthz-")
        os.close(fd)
        os.unlink(name)
    except OSError:
        return False
    return True


def file_name_for(kind: ExportKind, when: dt.datetime) -> str:
    return f"{kind.key}-{timezone.localtime(when):%Y%m%d-%H%M%S}.xlsx"


def write_export(
    *,
    kind: ExportKind,
    user: User,
    params: QueryDict,
    include_personal: bool,
    target: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Stream the rows from the database into a write-only workbook at `target`.

    The workbook is saved as `<target>.part` and renamed: a half-written file is never
    served. On any failure nothing is left behind; storage failures raise StorageError.
    """
    workbook = new_workbook()
    part = target.with_name(target.name + ".part")
    sheet = SafeSheet(workbook.create_sheet(title=str(kind.label)[:31]))
    # The rows come from a server-side cursor, for which PostgreSQL plans to fetch only the
    # first 10% quickly: at national scale that plan walked every consultation in municipality
    # order (bench/, the export measurement). Plan for all the rows, for this export only.
    postgresql = connection.vendor == "postgresql"
    try:
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
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            workbook.save(handle)
        part.replace(target)
    except OSError as exc:
        discard_workbook(workbook)
        part.unlink(missing_ok=True)
        if exc.errno in STORAGE_ERRNOS or isinstance(exc, FileNotFoundError):
            raise as_storage_error(exc) from exc
        raise
    except BaseException:
        discard_workbook(workbook)
        part.unlink(missing_ok=True)
        raise
    return count
