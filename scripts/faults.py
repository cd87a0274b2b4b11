"""`make faults`: the real faults on this machine, against a throwaway PostgreSQL cluster.

    python scripts/faults.py        (as root or the postgres user; loopback only)

1. a throwaway cluster (initdb, port FAULTS_PG_PORT=5499, 127.0.0.1 only, trust) in a temporary
   directory, a database with the benchmark's small dataset (bench.generate) and a private root;
2. SIGKILL of a worker mid-export: a second worker reaps the job after the lease and finishes
   it; no partial file and no temporary file with the rows is left anywhere;
3. a PostgreSQL restart under two workers while an export runs: both keep running, the export
   ends done, and a job queued after the restart is done too;
4. a 20,000-row ledger through the browser path (gunicorn: upload, preview, confirm, the
   progress page's status until done) while an intake in the same municipality is timed;
5. the cluster stopped and removed.

One line per fault: PASS or FAIL and what was seen. Exit status 1 if any failed. Bounded:
each wait has its limit (FAULTS_TIMEOUT seconds, default 180).
"""

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Django is set up at run time, after these imports
    from accounts.types import User
    from exports.models import ExportJob as ExportJobType

BASE_DIR = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5499"))
WEB_PORT = int(os.environ.get("FAULTS_WEB_PORT", "8299"))
TIMEOUT = float(os.environ.get("FAULTS_TIMEOUT", "180"))
LEDGER_ROWS = int(os.environ.get("FAULTS_LEDGER_ROWS", "20000"))
PASSWORD = "faults-drill-password-1234"
DB_NAME = "hk_faults_drill"

ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "faults-only-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/{DB_NAME}",
    "CONN_MAX_AGE": "0",
    # Short enough for a drill: a dead worker is reaped after 8 s.
    "TASK_HEARTBEAT_SECONDS": "1",
    "TASK_WORKER_LEASE_SECONDS": "8",
    "EXPORT_BACKGROUND_THRESHOLD": "100",
    "LOG_LEVEL": "WARNING",
}
results: list[tuple[str, bool, str]] = []


def log(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# The processes started, by name; a process stopped on purpose is removed (stop()).
PROCESSES: dict[str, "subprocess.Popen[bytes]"] = {}


def stop(name: str, sig: int = signal.SIGTERM) -> None:
    process = PROCESSES.pop(name)
    process.send_signal(sig)
    process.wait(30)


def wait_until(what: str, check: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = [name for name, p in PROCESSES.items() if p.poll() is not None]
        if exited:
            raise RuntimeError(f"{exited} exited while waiting for {what}")
        try:
            value = check()
        except Exception:  # the database may be restarting
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


class Cluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hk-faults-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {PG_PORT} -c listen_addresses=127.0.0.1 -k {self.dir}"
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                 "-l", str(self.dir / "log"), "-w", *args)  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True,
                   capture_output=True, timeout=600)  # fmt: skip


def start_worker(env: dict[str, str], name: str) -> "subprocess.Popen[bytes]":
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--worker-id",
            name,
            "-v0",
            "--interval",
            "0.2",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(env["PRIVATE_ROOT"]).parent / f"{name}.log", "w"),  # noqa: SIM115
    )
    PROCESSES[name] = process
    return process


def export_job(user: "User") -> "ExportJobType":
    from django.http import QueryDict

    from exports.services import export_request

    job = export_request(
        user=user, kind_key="consultations", params=QueryDict(), include_personal=True,
        reason="faults drill",
    ).job  # fmt: skip
    assert job is not None  # the drill has more rows than EXPORT_BACKGROUND_THRESHOLD
    return job


def job_row(job_id: Any) -> Any:
    from django.db import close_old_connections

    from exports.models import ExportJob

    close_old_connections()
    return ExportJob.objects.get(pk=job_id)


def leftovers(private_root: Path, job_id: Any) -> list[str]:
    """Files with rows of this job that should not exist: a .part export, openpyxl sheets."""
    found = [str(p) for p in (private_root / "exports").glob(f"{job_id}.xlsx.part")]
    found += [str(p) for p in private_root.glob("tmp/*/openpyxl.*")]
    found += [str(p) for p in Path("/tmp").glob("openpyxl.*")]
    return found


def fault_sigkill(env: dict[str, str], private_root: Path, admin: Any) -> None:
    start_worker(env, "drill-a")
    job = export_job(admin)
    wait_until("the export to start", lambda: job_row(job.pk).done_rows > 0)
    done_at_kill = job_row(job.pk).done_rows
    stop("drill-a", signal.SIGKILL)
    killed_tmp = list(private_root.glob("tmp/*"))
    started = time.monotonic()
    start_worker(env, "drill-b")
    try:
        final = wait_until("the job to end", lambda: job_row(job.pk).finished and job_row(job.pk))
        took = time.monotonic() - started
        left = leftovers(private_root, job.pk)
        ok = final.status == "done" and final.attempts == 1 and not left
        path = private_root / "exports" / f"{job.pk}.xlsx"
        results.append((
            "SIGKILL of a worker mid-export", ok and path.exists(),
            f"killed at {done_at_kill:,}/{final.total_rows:,} rows; job {final.status}"
            f"{' ' + final.error if final.error else ''} after "
            f"{took:.0f} s (retry {final.attempts}); leftovers {left or 'none'}; "
            f"dead worker's temp dirs {len(killed_tmp)} → "
            f"{len([p for p in killed_tmp if p.exists()])}",
        ))  # fmt: skip
    finally:
        stop("drill-b")


def fault_pg_restart(env: dict[str, str], cluster: Cluster, admin: Any) -> None:
    from django.db import connection

    workers = [start_worker(env, "drill-c"), start_worker(env, "drill-d")]
    try:
        time.sleep(2)
        job = export_job(admin)
        wait_until("the export to start", lambda: job_row(job.pk).done_rows > 0)
        connection.close()
        started = time.monotonic()
        cluster.restart()
        restarted = time.monotonic() - started
        final = wait_until("the job to end", lambda: job_row(job.pk).finished and job_row(job.pk))
        alive = [w.poll() is None for w in workers]
        after = export_job(admin)
        later = wait_until("a job queued after the restart", lambda: job_row(after.pk).finished
                           and job_row(after.pk))  # fmt: skip
        alive_end = [w.poll() is None for w in workers]
        ok = final.status == "done" and later.status == "done" and all(alive) and all(alive_end)
        results.append((
            "PostgreSQL restart under two workers", ok,
            f"restart took {restarted:.1f} s; running export {final.status} "
            f"(retry {final.attempts}){' ' + final.error if final.error else ''}; next job "
            f"{later.status}; workers alive {alive_end}",
        ))  # fmt: skip
    finally:
        stop("drill-c")
        stop("drill-d")


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value or "" for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.status, response.geturl(), response.read().decode()

    def post(self, path: str, data: bytes, content_type: str) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base + path, data=data, method="POST", headers={
            "Content-Type": content_type, "X-CSRFToken": self.csrf(), "Referer": self.base + path,
        })  # fmt: skip
        with self.opener.open(request, timeout=120) as response:
            return response.status, response.geturl(), response.read().decode()

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.csrf()}).encode()
        return self.post(path, body, "application/x-www-form-urlencoded")

    def upload(self, path: str, name: str, data: bytes) -> tuple[int, str, str]:
        boundary = "----hkfaults" + os.urandom(8).hex()
        body = (
            (
                f"--{boundary}\r\n"
                'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
                f'{self.csrf()}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.post(path, body, f"multipart/form-data; boundary={boundary}")


def fault_ledger(env: dict[str, str], counselor: "User", private_root: Path) -> None:
    from django.db import close_old_connections

    from bench.run import ledger_file
    from cases import rules as case_rules
    from cases import services as case_services
    from exports.models import ExportJob

    municipality = counselor.municipalities.order_by("pk").first()
    assert municipality is not None  # the drill's counselor works in one
    path = private_root.parent / "ledger.xlsx"
    ledger_file(LEDGER_ROWS, municipality.code, path)
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{WEB_PORT}", "--timeout", "60", "--graceful-timeout", "30"],
        cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL,
        stderr=open(private_root.parent / "gunicorn.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    PROCESSES["gunicorn"] = web
    start_worker(env, "drill-e")
    base = f"http://127.0.0.1:{WEB_PORT}"
    try:
        wait_until("gunicorn", lambda: urllib.request.urlopen(base + "/healthz", timeout=2))
        browser = Browser(base)
        browser.get("/accounts/login/")
        browser.form("/accounts/login/", {"username": counselor.username, "password": PASSWORD})
        started = time.monotonic()
        status, _url, page = browser.upload("/exports/ledger/", "ledger.xlsx", path.read_bytes())
        preview_s = time.monotonic() - started
        token = re.search(r'name="token" value="([0-9a-f]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"preview failed ({status})")
        _status, job_url, _page = browser.form("/exports/ledger/confirm/", {"token": token[1]})
        job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
        wait_until("the import to start", lambda: job_row(job_id).status != "queued")
        running = job_row(job_id).status == "running"
        # An intake in the same municipality while the import runs: not held up by it.
        close_old_connections()
        intake_started = time.monotonic()
        case_services.case_open(
            user=counselor, municipality=municipality, intake_date=time_today(),
            intake_route="family", visitor="family",
            consultation=case_rules.ConsultationInput(
                date=time_today(), method="phone", with_whom="family", duration_minutes=None,
                notes="", next_action="", next_action_date=None,
            ),
            submission_token=__import__("uuid").uuid4(),
            new_person=case_rules.PersonInput(name="", kana="", birth_year=None, sex="unknown"),
        )  # fmt: skip
        intake_s = time.monotonic() - intake_started
        status_json = wait_until(
            "the import to end",
            lambda: (
                (s := json.loads(browser.get(f"/exports/jobs/{job_id}/status.json")[2]))["finished"]
                and s
            ),
        )
        took = time.monotonic() - started
        job = ExportJob.objects.get(pk=job_id)
        batch = job.batch
        upload_left = list((private_root / "imports").glob("*"))
        ok = (
            status_json["status"] == "done"
            and batch is not None
            and batch.consultations_created == LEDGER_ROWS
            and not upload_left
            and intake_s < 3
        )
        results.append((
            f"{LEDGER_ROWS:,}-row ledger through the browser", ok,
            f"preview {preview_s:.0f} s, confirm→done {took - preview_s:.0f} s "
            f"({batch.cases_created if batch else 0:,} cases, "
            f"{batch.consultations_created if batch else 0:,} records); an intake meanwhile "
            f"took {intake_s:.2f} s{'' if running else ' (after it)'}; uploaded file left: "
            f"{len(upload_left)}",
        ))  # fmt: skip
    finally:
        stop("drill-e")
        stop("gunicorn")


def time_today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


def main() -> int:
    if socket.gethostbyname("127.0.0.1") != "127.0.0.1":
        return 2
    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="hk-faults-"))
    private_root = work / "private"
    env = {**os.environ, **ENV, "PRIVATE_ROOT": str(private_root)}
    os.environ.update({k: env[k] for k in (*ENV, "PRIVATE_ROOT")})
    started = time.monotonic()
    try:
        log(f"cluster on 127.0.0.1:{PG_PORT} in {cluster.dir}")
        cluster.create()
        cluster.run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT),
                    "-U", "postgres", DB_NAME)  # fmt: skip
        manage("migrate", "--noinput", "-v0", env=env)
        sys.path.insert(0, str(BASE_DIR))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from accounts.models import User
        from bench.generate import generate

        log("dataset: the benchmark's small scale")
        generate("small", log=lambda _line: None)
        admin = User.objects.get(username="bench_admin")
        counselor = User.objects.get(username="bench_counselor_01")
        counselor.set_password(PASSWORD)
        counselor.is_active = True
        counselor.save()
        faults: list[tuple[str, Callable[[], None]]] = [
            ("SIGKILL of a worker mid-export", lambda: fault_sigkill(env, private_root, admin)),
            ("PostgreSQL restart under two workers", lambda: fault_pg_restart(env, cluster, admin)),
            (f"{LEDGER_ROWS:,}-row ledger through the browser",
             lambda: fault_ledger(env, counselor, private_root)),
        ]  # fmt: skip
        for name, fault in faults:
            log(name)
            try:
                fault()
            except Exception as exc:  # reported as the fault's FAIL line
                results.append((name, False, f"{type(exc).__name__}: {exc}"))
    finally:
        from contextlib import suppress

        with suppress(Exception):
            from django.db import connections

            connections.close_all()
        cluster.remove()
        shutil.rmtree(work, ignore_errors=True)
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    print(f"({len(results)} faults in {time.monotonic() - started:.0f} s; cluster removed)")
    return 0 if results and all(ok for _n, ok, _d in results) else 1


if __name__ == "__main__":
    sys.exit(main())
