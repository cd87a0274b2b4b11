"""Capacity and background work under load (`make bench`, parts `capacity` and `background`).

Both run locust (bench/locustfile.py) against gunicorn (4 sync workers or BENCH_WORKERS,
--preload, DEBUG off, one shared file cache, the bench URLconf with its floor page) on
127.0.0.1, on the same
cores as the server: every figure keeps the CPU the load generator, the server (gunicorn's
processes + the PostgreSQL backends of this database) and the rest of the machine used
(bench/procstat.py), so a saturated client can be told from a saturated server.

- capacity: a ramp of users (counselors and 1 dashboard user in 10) in steps until a page's
  p95 passes 300 ms or a request fails; the capacity is the requests/s of the last step under
  the limit. The same ramp on the floor page (session, user, one query, a tiny template):
  what the stack itself manages on this machine. Users take sessions made beforehand (they
  share the 50 counselor accounts), so the ramp measures pages, not Argon2 logins.
- background: the daily mix at a fixed load (50 counselors + 5 dashboard users, their usual
  think times) without, then with, then again without (before the work's rows are deleted)
  real background work run by `manage.py run_worker`
  (an export of BENCH_EXPORT_ROWS consultations, queued again whenever it ends, and a
  BENCH_LEDGER_ROWS-row ledger import): the p95 with ÷ the mean of the two p95s without
  (their spread is the machine's own drift: at 55 users on two cores it was 150 to 530 ms
  between runs of the same code).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import RAMP_MAX_SECONDS
from bench.procstat import nice, postgres_backends
from bench.run import (
    BASE_DIR,
    GOALS,
    PRODUCTION_LIKE_ENV,
    Result,
    _read_locust_csv,
    _wait_for,
    subprocess_env,
)

BIN = Path(sys.executable).parent
SHARED_CORES_NOTE = (
    "the load generator (locust) and the server (gunicorn + PostgreSQL) share this machine's "
    "{cpus} cores: see each step's cpu (client_cores, server_cores, other_cores)"
)


def database_name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def workers() -> int:
    """gunicorn's sync workers (BENCH_WORKERS, default 4: two per core here, as the README's
    deployment runs them)."""
    return int(os.environ.get("BENCH_WORKERS") or 4)


@contextlib.contextmanager
def bench_server(port: int, tmp: str) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str]]]:
    """gunicorn with the bench settings (the floor page); yields it and the environment the
    load generator and workers share with it."""
    from django.conf import settings
    from django.db import connection

    env = subprocess_env(**{**PRODUCTION_LIKE_ENV, "ALLOWED_HOSTS": "127.0.0.1"})
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # The sessions made here (sessions_file) are signed with this process's key.
    env["SECRET_KEY"] = settings.SECRET_KEY
    # One cache for the four workers, as a deployment with several app processes sets
    # CACHE_URL to a shared cache (README): here a file cache, which needs no server.
    env["CACHE_URL"] = f"filecache://{tmp}/cache"
    env["BENCH_DATABASE"] = database_name()
    connection.close()
    server = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            f"--workers={workers()}",
            "--preload",  # the app is loaded once, before the workers fork
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "--timeout=60",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    env["BENCH_SERVER_PID"] = str(server.pid)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", 90)
        yield server, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def sessions_file(path: Path, counselors: int, dashboard: int) -> Path:
    """Session cookies made now (as a login would: force_login), one per locust user; the
    counselors' sessions go round the 50 counselor accounts."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from bench.generate import COUNSELORS

    accounts = {u.username: u for u in User.objects.filter(username__startswith="bench_")}

    def session(username: str) -> str:
        client = Client()
        client.force_login(accounts[username])
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    data = {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "counselor": [
            session(f"bench_counselor_{n % COUNSELORS + 1:02d}") for n in range(counselors)
        ],
        "dashboard": [session("bench_prefecture") for _ in range(max(1, dashboard))],
    }
    path.write_text(json.dumps(data))
    return path


def _locust(
    env: dict[str, str], port: int, args: list[str], timeout: float
) -> tuple[subprocess.CompletedProcess[str], int]:
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "locust"),
            "-f",
            str(BASE_DIR / "bench" / "locustfile.py"),
            "--headless",
            f"--host=http://127.0.0.1:{port}",
            "--only-summary",
            "--loglevel=WARNING",
            *args,
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), process.pid


# --- the capacity ramp ---------------------------------------------------------------------


# Where each ramp starts (users): the daily pages low enough that the first step can be under
# the limit on a slow machine (at 10 users the server was already saturated: no figure), the
# floor page high enough that its ramp reaches the limit within the time bound.
# BENCH_RAMP_START overrides both.
DAILY_START = 2
FLOOR_START = 10


def _start(default: int) -> int:
    return int(float(os.environ.get("BENCH_RAMP_START") or default))


def ramp_users_max() -> int:
    start = float(max(_start(DAILY_START), _start(FLOOR_START)))
    factor = float(os.environ.get("BENCH_RAMP_FACTOR") or 1.25)
    steps = float(os.environ.get("BENCH_RAMP_MAX_SECONDS") or RAMP_MAX_SECONDS) / float(
        os.environ.get("BENCH_RAMP_STEP_SECONDS") or 8
    )  # an upper bound: the warm-up and repeated steps only make it fewer
    return round(start * factor ** int(steps)) + 1


def run_ramp(env: dict[str, str], port: int, classes: list[str], tmp: str) -> dict[str, Any]:
    output = Path(tmp) / f"ramp-{'-'.join(classes)}.json"
    env = {**env, "BENCH_LOAD_MODE": "ramp", "BENCH_RAMP_OUTPUT": str(output)}
    limit = float(env.get("BENCH_RAMP_MAX_SECONDS") or RAMP_MAX_SECONDS)
    done, _pid = _locust(env, port, ["--stop-timeout=2", *classes], timeout=limit + 90)
    if not output.exists():
        raise RuntimeError(f"the ramp of {classes} wrote no steps: {done.stderr[-2000:]}")
    ramp: dict[str, Any] = json.loads(output.read_text())
    passing = [s for s in ramp["steps"] if s["under_limit"]]
    last = passing[-1] if passing else None
    ramp["capacity_rps"] = last["rps"] if last else 0.0
    ramp["capacity_users"] = last["users"] if last else 0
    # The best step under the limit too (a later, busier step can do less on a shared machine).
    ramp["best_rps_under_limit"] = max((s["rps"] for s in passing), default=0.0)
    # Reached the limit (a page over 300 ms or an error), or stopped by the time bound first:
    # then the capacity is a lower bound.
    ramp["limit_reached"] = ramp["ended_by"] not in ("time bound (BENCH_RAMP_MAX_SECONDS)",)
    ramp["client_cores_at_capacity"] = last["cpu"]["client_cores"] if last else None
    return ramp


def _capacity_note(ramp: dict[str, Any]) -> str:
    notes = []
    if not ramp["limit_reached"]:
        notes.append("time bound reached before the limit: a lower bound")
    client = ramp.get("client_cores_at_capacity")
    if client is not None and client >= 0.85:
        notes.append(f"the load generator used {client} cores: client-bound, a lower bound")
    return "; ".join(notes)


def measure_capacity(port: int) -> list[Result]:
    users = ramp_users_max()
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        sessions = sessions_file(Path(tmp) / "sessions.json", users, users // 10 + 1)
        with bench_server(port, tmp) as (_server, env):
            env["BENCH_SESSIONS"] = str(sessions)
            daily = run_ramp(
                {**env, "BENCH_RAMP_START": str(_start(DAILY_START))},
                port,
                ["Counselor", "DashboardUser"],
                tmp,
            )
            floor = run_ramp(
                {**env, "BENCH_RAMP_START": str(_start(FLOOR_START))}, port, ["FloorUser"], tmp
            )
    baseline = GOALS["capacity_baseline_rps"]
    ratio = daily["capacity_rps"] / floor["capacity_rps"] if floor["capacity_rps"] else None
    quarter = GOALS["capacity_floor_share"]
    shared = SHARED_CORES_NOTE.format(cpus=cpus)
    settings = {
        key: os.environ.get(f"BENCH_RAMP_{key.upper()}") or default
        for key, default in {
            "start": "10", "factor": "1.25", "step_seconds": "8", "settle_seconds": "3",
            "warmup_seconds": "8", "max_seconds": str(RAMP_MAX_SECONDS), "limit_ms": "300",
            "wait": "0.1,0.4", "confirm": "1",
        }.items()
    }  # fmt: skip
    settings["start"] = f"{_start(DAILY_START)} (floor page {_start(FLOOR_START)})"
    settings["gunicorn_workers"] = str(workers())
    return [
        Result(
            name="capacity, daily pages (counselors + 1 dashboard user in 10)",
            value=daily["capacity_rps"],
            unit="req/s",
            goal=f"≥ ¼ floor page, ≥ {GOALS['capacity_baseline_factor']:.0f}× {baseline:.0f} req/s",
            ratio=round(ratio, 2) if ratio is not None else None,
            passed=ratio is not None
            and ratio >= quarter
            and daily["capacity_rps"] >= GOALS["capacity_baseline_factor"] * baseline,
            detail={
                "value_is": "requests/s of the last ramp step whose every page had p95 ≤ "
                f"{settings['limit_ms']} ms and no error",
                "ratio_means": "daily pages' capacity ÷ the floor page's",
                "baseline_rps": baseline,
                "baseline_ratio": round(daily["capacity_rps"] / baseline, 2),
                "floor_capacity_rps": floor["capacity_rps"],
                "users_at_capacity": daily["capacity_users"],
                "note": _capacity_note(daily),
                "shared_cores": shared,
                "ramp_settings": settings,
                "ramp": daily,
            },
        ),
        Result(
            name="capacity, floor page (session, user, 1 query, tiny template)",
            value=floor["capacity_rps"],
            unit="req/s",
            goal="the stack's own floor (reference)",
            ratio=None,
            passed=None,
            detail={
                "value_is": "requests/s of the last ramp step under the limit, same ramp",
                "users_at_capacity": floor["capacity_users"],
                "note": _capacity_note(floor),
                "shared_cores": shared,
                "ramp": floor,
            },
        ),
    ]


# --- background work against people --------------------------------------------------------


def export_params(rows: int) -> dict[str, list[str]]:
    """A consultations export filter (`intake_from`) of about `rows` rows: the latest intakes."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.intake_date, count(*) FROM cases_consultation x
            JOIN cases_case c ON c.id = x.case_id
            WHERE x.voided_at IS NULL AND c.voided_at IS NULL
            GROUP BY 1 ORDER BY 1 DESC"""
        )
        total = 0
        since = None
        for day, count in cur.fetchall():
            total, since = total + count, day
            if total >= rows:
                break
    return {"intake_from": [since.isoformat()]} if since else {}


def autogroup(pid: int) -> str | None:
    """`/autogroup-85 nice 10`: the scheduler's group of `pid`'s session and its nice."""
    try:
        return Path(f"/proc/{pid}/autogroup").read_text().strip()
    except OSError:
        return None


class BackgroundWork:
    """Two `run_worker` processes (their own priority, as deployed), an export queued again
    whenever it ends, and one ledger import; `stop()` ends them and removes what they wrote."""

    def __init__(self, env: dict[str, str], export_rows: int, ledger_rows: int, tmp: str) -> None:
        self.env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
        self.export_rows = export_rows
        self.ledger_rows = ledger_rows
        self.tmp = Path(tmp)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.export_jobs: list[str] = []
        self.import_job: str | None = None
        self.stopped = threading.Event()
        self.loop: threading.Thread | None = None
        self.case_watermark = 0
        self.upload: Path | None = None

    def _queue_export(self) -> str:
        from django.http import QueryDict
        from django.test import override_settings

        from accounts.models import User
        from exports.services import export_request

        params = QueryDict(mutable=True)
        for key, values in self.params.items():
            params.setlist(key, values)
        # Queued as a background job whatever its size (a small scale's export is small).
        with override_settings(EXPORT_BACKGROUND_THRESHOLD=0):
            request = export_request(
                user=User.objects.get(username="bench_admin"), kind_key="consultations",
                params=params, include_personal=False, reason="",
            )  # fmt: skip
        assert request.job is not None
        return str(request.job.pk)

    def _queue_import(self) -> str:
        import uuid

        from accounts import scope
        from accounts.models import User
        from bench.run import ledger_file
        from exports.files import upload_dir, write_private
        from exports.ledger import file_digest
        from exports.ledger_jobs import ledger_import_request

        user = User.objects.get(username="bench_counselor_01")
        code = scope.personal_municipalities(user).order_by("pk").values_list("code", flat=True)[0]
        path = self.tmp / "background-ledger.xlsx"
        ledger_file(self.ledger_rows, code, path)
        data = path.read_bytes()
        token = uuid.uuid4().hex
        self.upload = upload_dir() / f"{token}.xlsx"
        write_private(upload_dir() / f"{token}.xlsx", data)
        job = ledger_import_request(
            user=user, token=token, name="bench-background.xlsx", digest=file_digest(data),
            rows=self.ledger_rows,
        )  # fmt: skip
        return str(job.pk)

    def _export_loop(self) -> None:
        from django.db import connection

        from exports.models import ExportJob

        try:
            while not self.stopped.wait(0.5):
                status = ExportJob.objects.filter(pk=self.export_jobs[-1]).values_list(
                    "status", flat=True
                )
                if status and status[0] not in ("queued", "running"):
                    self.export_jobs.append(self._queue_export())
        finally:
            connection.close()

    def start(self) -> None:
        from cases.models import Case
        from exports.models import ExportJob

        self.case_watermark = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.params = export_params(self.export_rows)
        self.import_job = self._queue_import()  # the ledger is written before any load
        self.export_jobs.append(self._queue_export())
        for n in (1, 2):
            self.workers.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, "manage.py", "run_worker", "-v0", f"--worker-id=bench-{n}"],
                    cwd=BASE_DIR,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    # Each in a session of its own, as systemd starts a service: the worker
                    # then lowers its autogroup's nice too (exports.priority).
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        jobs = [self.import_job, self.export_jobs[0]]
        while time.monotonic() < deadline:
            running = ExportJob.objects.filter(pk__in=jobs, status="running").count()
            if running == len(jobs):
                break
            time.sleep(0.3)
        self.loop = threading.Thread(target=self._export_loop, daemon=True)
        self.loop.start()

    def state(self) -> dict[str, Any]:
        from django.conf import settings

        from exports import priority
        from exports.models import ExportJob

        jobs = {
            str(j.pk): j
            for j in ExportJob.objects.filter(pk__in=[*self.export_jobs, self.import_job])
        }
        backends = postgres_backends(database_name())
        return {
            "export": {
                "rows_per_job": self.export_rows,
                "filter": self.params,
                "jobs_queued": len(self.export_jobs),
                "jobs_done": sum(1 for k in self.export_jobs if jobs[k].status == "done"),
                "rows_written": sum(jobs[k].done_rows for k in self.export_jobs),
            },
            "ledger_import": {
                "rows": self.ledger_rows,
                "status": jobs[self.import_job].status if self.import_job else None,
                "done_rows": jobs[self.import_job].done_rows if self.import_job else 0,
            },
            "worker_nice": [nice(w.pid) for w in self.workers],
            "worker_autogroup": [autogroup(w.pid) for w in self.workers],
            "database_backends_reniced": sum(1 for pid in backends if (nice(pid) or 0) > 0),
            # exports.priority.pace: rest ratio × the work when tasks waited ≥ pressure %.
            "worker_yield": {
                "ratio": settings.WORKER_YIELD_RATIO,
                "pressure_percent": settings.WORKER_YIELD_PRESSURE,
                "slice_seconds": settings.WORKER_YIELD_SLICE_SECONDS,
                "pressure_file": priority.cpu_stall_microseconds() is not None,
            },
        }

    def stop(self, *, clean: bool = True) -> None:
        """End the workers (a second SIGTERM fails a running job: nothing half-written is
        kept, an import's transaction rolls back) and, unless `clean` is false, remove what
        the work left (stop() again does that)."""
        self.stopped.set()
        if self.loop is not None:
            self.loop.join(timeout=10)
        for signum in (signal.SIGTERM, signal.SIGTERM):
            for worker in self.workers:
                if worker.poll() is None:
                    worker.send_signal(signum)
            time.sleep(0.5)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if clean:
            self._clean()

    def _clean(self) -> None:
        """The import, when it committed, added cases to the dataset: deleted, so that the
        next run measures the same data. Export files and the jobs go too."""
        from django.db import transaction

        from cases.models import Case, CaseStatusChange, Consultation, Household, Person
        from exports import jobs as job_files
        from exports.models import ExportJob, ImportBatch
        from kpi import aggregates

        new_cases = Case.objects.filter(pk__gt=self.case_watermark)
        persons = list(new_cases.values_list("person_id", flat=True))
        # The dashboard's counters (kpi.aggregates) follow the deletion: the persons' counts
        # before it are taken away at the end of the block.
        with transaction.atomic(), aggregates.maintain(persons=persons):
            Consultation.objects.filter(case__in=new_cases).delete()
            CaseStatusChange.objects.filter(case__in=new_cases).delete()
            new_cases.delete()
            Household.objects.filter(person_id__in=persons).delete()
            Person.objects.filter(pk__in=persons).delete()
            ImportBatch.objects.filter(file_name="bench-background.xlsx").delete()
        from django_tasks_db.models import DBTaskResult

        from exports.files import export_dir

        for job in ExportJob.objects.filter(pk__in=[*self.export_jobs, self.import_job]):
            job_files.part_files_remove(job)
            (export_dir() / f"{job.pk}.xlsx").unlink(missing_ok=True)
            if job.task_id:
                DBTaskResult.objects.filter(pk=job.task_id).delete()
            job.delete()
        if self.upload is not None:
            self.upload.unlink(missing_ok=True)
        # The deleted rows now, not autovacuum during the next measurement (seen as `other`
        # CPU and a slower baseline in the run after).
        from django.db import connection

        with connection.cursor() as cursor:
            for model in (Consultation, CaseStatusChange, Case, Household, Person):
                cursor.execute(
                    f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}"
                )


def fixed_load(
    env: dict[str, str],
    port: int,
    seconds: int,
    warmup: int,
    tmp: str,
    tag: str,
    extra: dict[str, list[int]] | None = None,
    spawn_rate: int = 55,
    users: int = 55,
) -> dict[str, Any]:
    """The daily mix at a fixed load (55 users: 50 counselors and 5 dashboard users, unless
    `users` says otherwise, one dashboard user in 11), sessions made beforehand; stats and
    CPU."""
    warmup_file = Path(tmp) / f"warmup-{tag}.json"
    cpu_file = Path(tmp) / f"cpu-{tag}.json"
    run_env = {
        **env,
        "BENCH_WARMUP_SECONDS": str(warmup),
        "BENCH_FIXED_USERS": str(users),
        "BENCH_WARMUP_STATS": str(warmup_file),
        # locust samples the CPU itself, from the warm-up's end to the run's (locustfile).
        "BENCH_CPU_STATS": str(cpu_file),
        "BENCH_EXTRA_PIDS": ";".join(
            f"{name}:{','.join(str(p) for p in pids)}" for name, pids in (extra or {}).items()
        ),
    }
    process_holder: dict[str, Any] = {}
    process_holder["done"] = _locust(
        run_env, port,
        [f"--users={users}", f"--spawn-rate={spawn_rate}", f"--run-time={warmup + seconds}s",
         "--stop-timeout=3", f"--csv={tmp}/{tag}", "Counselor", "DashboardUser"],
        timeout=warmup + seconds + 90,
    )  # fmt: skip
    box = {"cpu": json.loads(cpu_file.read_text()) if cpu_file.exists() else None}
    csv = Path(f"{tmp}/{tag}_stats.csv")
    if not csv.exists():
        done = process_holder["done"][0]
        raise RuntimeError(
            f"locust wrote no statistics (exit {done.returncode}): {done.stderr[-3000:]}"
        )
    stats = _read_locust_csv(csv)
    warmup_stats = json.loads(warmup_file.read_text()) if warmup_file.exists() else None
    if warmup and warmup_stats is None:
        done = process_holder["done"][0]
        raise RuntimeError(f"locust wrote no warm-up statistics: {done.stderr[-3000:]}")
    return {
        "stats": stats,
        "cpu": box.get("cpu"),
        "aggregated": stats.get("Aggregated", {}),
        "warmup": warmup_stats,
    }


def measure_background(
    port: int, seconds: int, export_rows: int, ledger_rows: int, users: int = 55
) -> list[Result]:
    """The daily mix at a fixed load of `users` (BENCH_BACKGROUND_USERS; 55 by default, the
    point of every earlier run): without, with an export and an import running, and without
    again once the workers have stopped; the ratio is against the mean of the two without."""
    warmup = int(os.environ.get("BENCH_BACKGROUND_WARMUP_SECONDS") or 5)
    users = int(os.environ.get("BENCH_BACKGROUND_USERS") or users)
    dashboard = max(1, users // 11)
    with tempfile.TemporaryDirectory() as tmp:
        sessions = sessions_file(Path(tmp) / "sessions.json", users - dashboard, dashboard)
        with bench_server(port, tmp) as (_server, env):
            env["BENCH_SESSIONS"] = str(sessions)
            quiet = fixed_load(env, port, seconds, warmup, tmp, "quiet", users=users)
            work = BackgroundWork(env, export_rows, ledger_rows, tmp)
            try:
                work.start()
                busy = fixed_load(
                    env, port, seconds, warmup, tmp, "busy",
                    extra={"workers": [w.pid for w in work.workers]}, users=users,
                )  # fmt: skip
                state = work.state()
                # The same load again once the workers have stopped, before their rows are
                # deleted: two baselines, so that a drift of the machine shows.
                work.stop(clean=False)
                after = fixed_load(env, port, seconds, warmup, tmp, "after", users=users)
            finally:
                work.stop()
    pages = [k for k in quiet["stats"] if k != "Aggregated"]
    before_p95 = quiet["aggregated"].get("p95", 0.0)
    after_p95 = after["aggregated"].get("p95", 0.0)
    quiet_p95 = (before_p95 + after_p95) / 2
    busy_p95 = busy["aggregated"].get("p95", 0.0)
    ratio = busy_p95 / quiet_p95 if quiet_p95 else None
    errors = sum(run["aggregated"].get("failures", 0) for run in (quiet, busy, after))
    return [
        Result(
            name=f"background work: daily pages' p95, {seconds} s at {users} users",
            value=busy_p95,
            unit="ms p95",
            goal=f"≤ {GOALS['background_ratio']}× the same load without it",
            ratio=round(ratio, 2) if ratio is not None else None,
            passed=ratio is not None and ratio <= GOALS["background_ratio"] and errors == 0,
            detail={
                "value_is": "p95 of every daily request (all pages) with the background work",
                "ratio_means": "p95 with the export and the import ÷ p95 without (the mean of"
                " the runs before and after)",
                "without_ms_p95": quiet_p95,
                "without_before_ms_p95": before_p95,
                "without_after_ms_p95": after_p95,
                "with_ms_p95": busy_p95,
                "by_page_p95": {
                    k: {
                        "without": quiet["stats"][k]["p95"],
                        "with": busy["stats"].get(k, {}).get("p95"),
                        "without_after": after["stats"].get(k, {}).get("p95"),
                    }
                    for k in pages
                },
                "rps": {
                    "without": quiet["aggregated"].get("rps"),
                    "with": busy["aggregated"].get("rps"),
                    "without_after": after["aggregated"].get("rps"),
                },
                "failures": errors,
                "cpu": {
                    "without": quiet["cpu"],
                    "with": busy["cpu"],
                    "without_after": after["cpu"],
                },
                "background": state,
                "shared_cores": SHARED_CORES_NOTE.format(cpus=os.cpu_count() or 1),
            },
        )
    ]


def load_notes(results: list[Result]) -> list[str]:
    """What the terminal shows below the table: the shared cores, and each ramp's steps."""
    loads = [r for r in results if "cpu" in r.detail or "ramp" in r.detail]
    if not loads:
        return []
    lines = ["", "Note: " + SHARED_CORES_NOTE.format(cpus=os.cpu_count() or 1) + "."]
    for result in results:
        ramp = result.detail.get("ramp")
        if ramp:
            lines.append(f"{result.name}: ended by {ramp['ended_by']}")
            lines.append("  users   req/s  worst p95 (page)                  client  server  other")
            for step in ramp["steps"]:
                cpu = step["cpu"]
                lines.append(
                    f"  {step['users']:>5} {step['rps']:>7.1f}  {step['worst_p95_ms']:>6.0f} ms "
                    f"({step['worst_page'][:24]:<24}) {cpu['client_cores']:>6.2f} "
                    f"{cpu['server_cores']:>7.2f} {cpu['other_cores']:>6.2f}"
                    + ("" if step["under_limit"] else "  over the limit")
                )
            if result.detail.get("note"):
                lines.append(f"  note: {result.detail['note']}")
        cpu = result.detail.get("cpu")
        if isinstance(cpu, dict) and "without" in cpu:
            for label in ("without", "with", "without_after"):
                c = cpu[label] or {}
                when = {"without": "before", "with": "with", "without_after": "after"}[label]
                lines.append(
                    f"{result.name} ({when} the background work): client {c.get('client_cores')} "
                    f"cores, server {c.get('server_cores')}, workers {c.get('workers_cores', 0)}, "
                    f"other {c.get('other_cores')}"
                )
        elif isinstance(cpu, dict):
            lines.append(
                f"{result.name}: client {cpu.get('client_cores')} cores, server "
                f"{cpu.get('server_cores')}, other {cpu.get('other_cores')}"
            )
    lines.append("(cores: CPU time ÷ wall time; server = gunicorn + this database's backends)")
    return lines
