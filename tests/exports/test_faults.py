"""Faults of background work, simulated deterministically: dead workers reaped, a worker loop
that loses its database reconnects, storage errors named and cleaned up, the ledger import as
a job (concurrent confirms, file modes, TTL), bounded database waits."""

import datetime as dt
import errno
import os
import threading
import uuid
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from exports import files, jobs
from exports.models import ExportJob, WorkerBeat
from exports.worker import SupervisedWorker, reap_own
from tests.exports.test_ledger_import import GOOD, upload
from tests.factories import CaseFactory, ConsultationFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's locks and timeouts (CI runs it)"
)
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path
    settings.TASKS = DATABASE
    settings.EXPORT_BACKGROUND_THRESHOLD = 1
    return tmp_path


def export_job(user, **fields) -> ExportJob:
    return ExportJob.objects.create(
        requested_by=user,
        kind=ExportJob.Kind.CONSULTATIONS,
        total_rows=1,
        expires_at=timezone.now() + dt.timedelta(hours=1),
        **fields,
    )


def running_task(job: ExportJob, *, worker: str, started: dt.datetime) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [str(job.pk)], "kwargs": {}},
        task_path=jobs.TASK_PATH,
        backend_name="default",
        run_after=started,
        status=TaskResultStatus.RUNNING,
        started_at=started,
        worker_ids=[worker],
    )
    ExportJob.objects.filter(pk=job.pk).update(status="running", task_id=str(task.pk))
    job.refresh_from_db()
    return task


# --- Leases: a dead worker's job is retried, then failed --------------------------------------


def test_a_job_whose_worker_stopped_beating_is_reaped_and_queued_again(
    admin_user, private_root, django_capture_on_commit_callbacks
) -> None:
    now = timezone.now()
    long_ago = now - dt.timedelta(minutes=10)
    WorkerBeat.objects.create(worker_id="dead", hostname="h", pid=1, seen_at=long_ago)
    job = export_job(admin_user)
    task = running_task(job, worker="dead", started=long_ago)
    (private_root / "exports").mkdir()
    part = private_root / "exports" / f"{job.pk}.xlsx.part"
    part.write_bytes(b"half a sheet")
    with django_capture_on_commit_callbacks(execute=True):
        counts = jobs.jobs_reap(now=now)
    assert counts["tasks_lost"] == 1 and counts["requeued"] == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "exports.jobs.WorkerLost"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done_rows) == ("queued", 1, 0)
    retry = DBTaskResult.objects.get(pk=job.task_id)
    assert retry.status == TaskResultStatus.READY and retry.args_kwargs["args"] == [str(job.pk)]
    assert not part.exists()


def test_a_job_lost_too_often_fails_with_a_message(admin_user, private_root, settings) -> None:
    settings.TASK_MAX_ATTEMPTS = 2
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    job = export_job(admin_user, attempts=1)
    running_task(job, worker="gone-without-a-beat", started=long_ago)
    jobs.jobs_reap()
    job.refresh_from_db()
    assert job.status == "failed"
    assert "作業プロセスが停止しました" in job.error
    assert job.finished_at is not None


def test_a_live_workers_task_is_left_alone(admin_user, private_root) -> None:
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    WorkerBeat.objects.create(worker_id="alive", hostname="h", pid=1, seen_at=timezone.now())
    job = export_job(admin_user)
    task = running_task(job, worker="alive", started=long_ago)
    assert jobs.jobs_reap()["tasks_lost"] == 0
    task.refresh_from_db()
    job.refresh_from_db()
    assert (task.status, job.status) == (TaskResultStatus.RUNNING, "running")


def test_the_job_follows_a_task_that_failed_or_vanished(admin_user, private_root) -> None:
    failed = export_job(admin_user)
    task = running_task(failed, worker="w", started=timezone.now())
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.FAILED, exception_class_path="builtins.SystemExit"
    )
    vanished = export_job(admin_user, status="running", task_id=str(uuid.uuid4()))
    jobs.jobs_reap()
    for job in (failed, vanished):
        job.refresh_from_db()
        assert job.status == "failed" and job.error


def test_a_worker_stopped_twice_marks_the_job_failed(admin_user, private_root, monkeypatch) -> None:
    job = export_job(admin_user)

    def interrupted(job: ExportJob) -> dict:
        raise SystemExit(1)  # what db_worker does on the second SIGTERM

    with pytest.raises(SystemExit):
        jobs.job_run(str(job.pk), interrupted)
    job.refresh_from_db()
    assert job.status == "failed" and "停止を指示されたため" in job.error


def test_an_export_stopped_mid_write_ends_cleanly_and_leaves_nothing(
    admin_user, private_root, monkeypatch
) -> None:
    """The worker's second SIGTERM (SystemExit) in the middle of the rows: the job is failed
    with the reason, the half-written sheet's temporary file is gone at once (not when the
    process exits), and the cut-off XML stream prints no `Exception ignored` traceback."""
    import gc
    import sys
    import tempfile

    from exports.services import export_job_run

    for _ in range(4):
        ConsultationFactory()
    real_write_table = files.write_table

    def stopping(rows):
        for n, row in enumerate(rows):
            if n == 2:
                raise SystemExit(1)
            yield row

    monkeypatch.setattr(
        files, "write_table", lambda sheet, columns, rows, **k: real_write_table(
            sheet, columns, stopping(rows), **k
        ),
    )  # fmt: skip
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    files.use_private_tempdir()  # as in a worker: the sheet's temporary file is in there
    job = export_job(admin_user)
    with pytest.raises(SystemExit):
        jobs.job_run(str(job.pk), export_job_run)
    gc.collect()
    job.refresh_from_db()
    assert job.status == "failed" and "停止を指示されたため" in job.error
    assert unraisable == []
    left = [p for p in private_root.rglob("*") if p.is_file()]
    assert left == []


# --- Workers reconnect --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker loop closes connections between tasks
def test_a_worker_loop_that_loses_its_database_reconnects_and_runs_the_job(
    login, admin_user, private_root, settings, monkeypatch
) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    case = CaseFactory()
    ConsultationFactory(case=case)
    settings.EXPORT_BACKGROUND_THRESHOLD = 0
    client = login(admin_user)
    client.post(reverse("exports:start"), {"kind": "consultations", "query": ""})
    job = ExportJob.objects.get()
    assert job.status == "queued" and job.task_id

    real_ready = DBTaskResult.objects.ready
    calls = {"n": 0}

    def ready_once_broken():
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_ready()

    monkeypatch.setattr(DBTaskResult.objects, "ready", ready_once_broken)
    sleeps: list[float] = []
    supervised = SupervisedWorker(
        worker_id="test-worker",
        make_worker=lambda: Worker(
            queue_names=["default"], interval=0, batch=True, backend_name="default",
            startup_delay=False, max_tasks=None, worker_id="test-worker",
            excluded_queue_names=[],
        ),
        sleep=sleeps.append,
        max_reconnects=3,
        heartbeat=False,  # beats from the loop itself are enough here
    )  # fmt: skip
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    supervised.run()
    assert supervised.reconnects == 1 and sleeps == [1.0]
    job.refresh_from_db()
    assert job.status == "done" and job.done_rows == 1
    assert (private_root / "exports" / f"{job.pk}.xlsx").exists()
    assert not WorkerBeat.objects.filter(worker_id="test-worker").exists()  # signed off


def test_after_reconnecting_a_worker_reaps_the_task_it_lost_mid_run(
    admin_user, private_root, django_capture_on_commit_callbacks
) -> None:
    job = export_job(admin_user)
    task = running_task(job, worker="me", started=timezone.now())
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        assert reap_own("me") == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1)


def test_a_database_error_during_the_job_leaves_it_for_a_retry(admin_user, private_root) -> None:
    job = export_job(admin_user)

    def connection_lost(job: ExportJob) -> dict:
        raise OperationalError("terminating connection due to administrator command")

    with pytest.raises(OperationalError):
        jobs.job_run(str(job.pk), connection_lost)
    job.refresh_from_db()
    assert job.status == "running"  # the reaper retries it (RETRYABLE)
    assert "django.db.utils.OperationalError" in jobs.RETRYABLE


# --- Storage faults -----------------------------------------------------------------------------


def _fail_writes(monkeypatch, code: int) -> None:
    real_open = os.open

    def refusing(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and str(path).startswith(str(files.settings.PRIVATE_ROOT)):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refusing)


def test_a_full_disk_fails_the_background_export_with_the_cause_and_leaves_nothing(
    admin_user, private_root, monkeypatch
) -> None:
    CaseFactory()
    job = export_job(admin_user)
    _fail_writes(monkeypatch, errno.ENOSPC)
    from exports.services import export_job_run

    with pytest.raises(files.StorageError):
        jobs.job_run(str(job.pk), export_job_run)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "ディスクがいっぱい" in job.error
    assert list((private_root / "exports").iterdir()) == []
    # Later exports are unaffected once there is room again.
    monkeypatch.undo()
    again = export_job(admin_user)
    jobs.job_run(str(again.pk), export_job_run)
    again.refresh_from_db()
    assert again.status == "done"


@pytest.mark.parametrize(
    ("code", "cause"),
    [(errno.ENOSPC, "ディスクがいっぱい"), (errno.EROFS, "読み取り専用"), (errno.EACCES, "権限")],
)
def test_an_inline_export_names_the_storage_fault_and_the_next_one_works(
    login, admin_user, private_root, monkeypatch, settings, code, cause
) -> None:
    settings.EXPORT_BACKGROUND_THRESHOLD = 100
    CaseFactory()
    client = login(admin_user)
    _fail_writes(monkeypatch, code)
    response = client.post(reverse("exports:start"), {"kind": "cases", "query": ""})
    assert response.status_code == 503
    assert cause in response.content.decode()
    assert list((private_root / "exports").glob("*")) == []
    monkeypatch.undo()
    response = client.post(reverse("exports:start"), {"kind": "cases", "query": ""})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")


def test_a_read_only_private_root_gives_the_ledger_preview_a_clear_message(
    login, counselor, private_root, monkeypatch
) -> None:
    _fail_writes(monkeypatch, errno.EROFS)
    response = upload(login(counselor), GOOD)
    assert response.status_code == 503
    assert "読み取り専用" in response.content.decode()
    assert list((private_root / "imports").glob("*")) == []


def test_the_operators_health_check_reports_storage_and_workers(
    client, db, private_root, monkeypatch
) -> None:
    response = client.get("/healthz/ops")
    assert response.status_code == 503 and response.json()["workers"] == 0
    WorkerBeat.objects.create(worker_id="w", hostname="h", pid=1, seen_at=timezone.now())
    response = client.get("/healthz/ops")
    assert response.status_code == 200 and response.json()["private_root"] == "ok"
    monkeypatch.setattr(files, "private_root_writable", lambda: False)
    monkeypatch.setattr("exports.views.private_root_writable", lambda: False)
    response = client.get("/healthz/ops")
    assert response.status_code == 503 and response.json()["private_root"] == "not_writable"


def test_temporary_files_go_under_private_root_and_dead_processes_dirs_are_removed(
    private_root, monkeypatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    path = files.use_private_tempdir()
    assert Path(tempfile.gettempdir()) == path and path.is_relative_to(private_root)
    dead = files.tempdir_root() / f"{files.socket.gethostname()}-999999999"
    dead.mkdir()
    (dead / "openpyxl.abc").write_bytes(b"names")
    assert files.stale_tempdirs_remove() == 1
    assert not dead.exists() and path.exists()


# --- The ledger import as a job -----------------------------------------------------------------


def test_an_uploaded_ledger_is_owner_only_and_deleted_after_the_ttl(
    login, counselor, private_root, settings
) -> None:
    response = upload(login(counselor), GOOD)
    path = private_root / "imports" / f"{response.context['token']}.xlsx"
    assert path.stat().st_mode & 0o777 == 0o600
    settings.LEDGER_UPLOAD_TTL_HOURS = 2
    assert jobs.housekeeping()["uploads"] == 0
    later = timezone.now() + dt.timedelta(hours=3)
    assert jobs.housekeeping(now=later)["uploads"] == 1
    assert not path.exists()


def test_a_confirmed_ledger_is_queued_and_a_second_confirm_of_the_same_file_is_refused(
    counselor, private_root, django_capture_on_commit_callbacks
) -> None:
    first, second = Client(), Client()
    for client in (first, second):
        client.force_login(counselor)
    tokens = [upload(c, GOOD).context["token"] for c in (first, second)]
    with django_capture_on_commit_callbacks(execute=True):
        one = first.post(reverse("exports:ledger_confirm"), {"token": tokens[0]})
    job = ExportJob.objects.get(kind="ledger_import")
    assert one["Location"] == reverse("exports:job", args=[job.pk])
    assert job.status == "queued" and job.task_id  # a task for a worker
    two = second.post(reverse("exports:ledger_confirm"), {"token": tokens[1]}, follow=True)
    assert two.status_code == 200
    assert "このファイルは取込中または取込済みです" in two.content.decode()
    assert ExportJob.objects.filter(kind="ledger_import").count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirms_of_one_file_make_one_job_and_no_error(
    counselor, private_root
) -> None:
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(counselor)
    tokens = [upload(c, GOOD).context["token"] for c in clients]
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def confirm(index: int) -> None:
        barrier.wait()
        try:
            responses[index] = clients[index].post(
                reverse("exports:ledger_confirm"), {"token": tokens[index]}, follow=True
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in responses] == [200, 200]
    refused = [
        r for r in responses if "このファイルは取込中または取込済みです" in r.content.decode()
    ]
    assert len(refused) == 1
    assert ExportJob.objects.filter(kind="ledger_import").count() == 1


# --- Bounded database waits ---------------------------------------------------------------------


@postgresql_only
def test_database_waits_are_bounded_by_the_connection_options(settings) -> None:
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["connect_timeout"] == 5
    assert "statement_timeout=15000" in options["options"]
    assert "lock_timeout=5000" in options["options"]


@postgresql_only
@pytest.mark.django_db
def test_a_worker_connection_has_its_own_limit_and_no_parallel_query(settings) -> None:
    """A worker's statements run in its one backend (exports.worker): PostgreSQL's parallel
    query processes would escape the priority the worker lowers (exports.priority)."""
    from exports.worker import _worker_session_settings

    settings.DB_WORKER_STATEMENT_TIMEOUT_MS = 600_000
    settings.DB_WORKER_PARALLEL_WORKERS = 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] != "0"  # the server's default, which the web keeps
        _worker_session_settings(sender=None, connection=connection)
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "10min"
        # Back to the web's values for the tests that follow on this connection.
        cursor.execute("RESET max_parallel_workers_per_gather")
        cursor.execute("SET statement_timeout = 15000")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_page_waiting_on_a_held_lock_gives_the_503_page_within_the_lock_timeout(
    login, counselor
) -> None:
    import psycopg

    client = login(counselor)
    client.raise_request_exception = False
    settings_dict = connection.settings_dict
    holder = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
    )
    try:
        holder.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        started = timezone.now()
        response = client.get(reverse("home"))
        waited = (timezone.now() - started).total_seconds()
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    assert waited < 5


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_intake_in_the_same_municipality_is_not_held_up_by_a_running_import(
    counselor, colleague, kochi_city
) -> None:
    from cases import services as case_services
    from cases.models import Case
    from exports.ledger import ledger_parse
    from exports.ledger_write import ledger_import

    parsed = ledger_parse(stream=__import__("io").BytesIO(GOOD), user=counselor)
    outcome: dict = {}

    def intake() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            case = case_services.case_open(
                user=colleague, municipality=kochi_city, intake_date=dt.date(2023, 7, 1),
                intake_route="family", visitor="family",
                consultation=case_services.ConsultationInput(
                    date=dt.date(2023, 7, 1), method="phone", with_whom="family",
                ),
                submission_token=uuid.uuid4(),
                new_person=case_services.PersonInput(name="", kana="", birth_year=None),
            )  # fmt: skip
            outcome["number"] = case.number
        except Exception as exc:  # the assertion below names it
            outcome["error"] = exc
        finally:
            connection.close()

    def in_the_middle(done: int) -> None:
        # The import's rows are written, its transaction is open: a colleague's intake now.
        thread = threading.Thread(target=intake)
        thread.start()
        thread.join(timeout=20)

    ledger_import(
        user=counselor, parsed=parsed, file_name="x.xlsx", digest="d", progress=in_the_middle
    )
    assert "error" not in outcome, outcome.get("error")
    # The same fiscal year (R5): the intake committed first took 1, the import 2 and 3.
    assert Case.objects.get(number=outcome["number"]).sequence == 1
    assert sorted(Case.objects.values_list("sequence", flat=True)) == [1, 2, 3]
    assert sorted(Case.objects.values_list("number", flat=True)) == [
        "高知市-R5-0001", "高知市-R5-0002", "高知市-R5-0003",
    ]  # fmt: skip
