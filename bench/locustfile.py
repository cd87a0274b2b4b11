"""The load test (run by `bench.run`, or by hand:
`locust -f bench/locustfile.py --host http://127.0.0.1:8201`).

Users: counselors doing the daily work (home, case list, case page, recording a consultation)
and prefecture staff on the dashboard, 1 for every 10 counselors; and, for the floor
measurement alone, users of the benchmark's minimal page (bench/urls.py). FastHttpUser
(geventhttpclient): the load generator shares the cores with the server, so the cheaper the
client the more of them is left to what is measured.

Modes (BENCH_LOAD_MODE):
- `fixed` (default): 50 counselors and 5 dashboard users, the point earlier runs reported
  (BENCH_FIXED_USERS another count, one dashboard user in 11);
- `ramp`: the user count grows by BENCH_RAMP_FACTOR every BENCH_RAMP_STEP_SECONDS (from
  BENCH_RAMP_START) until a page's p95 passes BENCH_RAMP_LIMIT_MS, a request fails, or
  BENCH_RAMP_MAX_SECONDS have passed; each step's figures (requests/s, p95 by page, CPU of
  the client, the server and the machine) go to BENCH_RAMP_OUTPUT.

Users log in (BENCH_SESSIONS unset) or take a session made beforehand by `bench.run`
(BENCH_SESSIONS: a JSON file of session cookies), so that a ramp measures pages, not logins.
"""

import datetime as dt
import itertools
import json
import os
import random
import re
import time
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import LoadTestShape, between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.stats import RequestStats

from bench import RAMP_MAX_SECONDS
from bench.generate import COUNSELORS, PASSWORD
from bench.procstat import CpuSample

SUBMISSION_RE = re.compile(r'name="submission_token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_RE = re.compile(r'href="/cases/(\d+)/"')
MODE = os.environ.get("BENCH_LOAD_MODE", "fixed")
_counselors = itertools.count(1)
_sessions_taken: dict[str, "itertools.count[int]"] = {}
SESSIONS_FILE = os.environ.get("BENCH_SESSIONS")
SESSIONS = json.loads(Path(SESSIONS_FILE).read_text()) if SESSIONS_FILE else None
# The first seconds of a fixed run (every user logging in: 55 Argon2 hashes on two cores)
# are a warm-up: its statistics, failures included, are written to BENCH_WARMUP_STATS and
# then reset, so the report covers the steady state that follows and no error goes unseen.
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "0"))
# A fixed run's users (bench.capacity.fixed_load): one dashboard user in 11, so the default 55
# are the 50 counselors and 5 dashboard users of every run since the first.
FIXED_USERS = int(os.environ.get("BENCH_FIXED_USERS") or 55)
FIXED_DASHBOARD = max(1, FIXED_USERS // 11)


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _wait(default: tuple[float, float]) -> Any:
    """Think time between tasks: BENCH_RAMP_WAIT (`low,high` seconds) in a ramp."""
    if MODE == "ramp":
        low, high = (float(x) for x in os.environ.get("BENCH_RAMP_WAIT", "0.1,0.4").split(","))
        return between(low, high)
    return between(*default)


def _entries(stats: RequestStats) -> dict[str, dict[str, float]]:
    return {
        f"{entry.method} {entry.name}": {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median": entry.median_response_time,
            "p95": entry.get_response_time_percentile(0.95),
        }
        for entry in stats.entries.values()
    }


_warmup_written = False


def _end_warmup(environment: Environment, *, early: bool = False) -> None:
    global _warmup_written
    if _warmup_written:
        return
    _warmup_written = True
    stats = environment.stats
    summary = {
        "seconds": WARMUP_SECONDS,
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "by_request": _entries(stats),
        # The run ended before the warm-up did (a very loaded machine): these are all of it.
        "ended_before_warmup": early,
    }
    target = os.environ.get("BENCH_WARMUP_STATS")
    if target:
        Path(target).write_text(json.dumps(summary))
    if not early:
        stats.reset_all()
        _fixed_cpu.start()


def _cpu_sample() -> CpuSample:
    """The CPU of this process, the server and BENCH_EXTRA_PIDS (`name:pid,pid`) over the
    measured part of a fixed run (after the warm-up), written at the end to BENCH_CPU_STATS."""
    extra: dict[str, list[int]] = {}
    for group in filter(None, os.environ.get("BENCH_EXTRA_PIDS", "").split(";")):
        name, _, pids = group.partition(":")
        extra[name] = [int(pid) for pid in pids.split(",") if pid]
    return CpuSample(
        client_pid=os.getpid(),
        server_pid=int(os.environ.get("BENCH_SERVER_PID") or 0) or None,
        database=os.environ.get("BENCH_DATABASE", ""),
        extra=extra,
    )


_fixed_cpu = _cpu_sample()


@events.test_stop.add_listener
def _write_cpu(environment: Environment, **_kwargs: Any) -> None:
    target = os.environ.get("BENCH_CPU_STATS")
    if MODE != "ramp" and target and _fixed_cpu.started:
        Path(target).write_text(json.dumps(_fixed_cpu.stop()))


@events.test_start.add_listener
def _schedule_end_of_warmup(environment: Environment, **_kwargs: Any) -> None:
    if MODE != "ramp" and WARMUP_SECONDS > 0 and environment.stats is not None:
        gevent.spawn_later(WARMUP_SECONDS, _end_warmup, environment)
    elif MODE != "ramp":
        _fixed_cpu.start()


@events.test_stop.add_listener
def _warmup_never_ended(environment: Environment, **_kwargs: Any) -> None:
    if MODE != "ramp" and WARMUP_SECONDS > 0 and environment.stats is not None:
        _end_warmup(environment, early=True)


def _take_session(user: FastHttpUser, kind: str) -> None:
    """Set a session cookie made by bench.run (each locust user its own session)."""
    assert SESSIONS is not None
    cookies = SESSIONS[kind]
    index = next(_sessions_taken.setdefault(kind, itertools.count())) % len(cookies)
    host = urlsplit(user.host).hostname or "127.0.0.1"
    user.client.cookiejar.set_cookie(
        Cookie(
            version=0, name=SESSIONS["cookie_name"], value=cookies[index], port=None,
            port_specified=False, domain=host, domain_specified=False,
            domain_initial_dot=False, path="/", path_specified=True, secure=False,
            expires=None, discard=True, comment=None, comment_url=None, rest={},
        )
    )  # fmt: skip


def log_in(user: FastHttpUser, username: str, kind: str) -> None:
    if SESSIONS is not None:
        _take_session(user, kind)
        return
    page = user.client.get("/accounts/login/", name="login page")
    token = CSRF_RE.search(page.text or "")
    with user.client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        headers={"Referer": f"{user.host}/accounts/login/"},
        name="login",
        allow_redirects=False,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"login of {username} answered {response.status_code}")


class Counselor(FastHttpUser):
    """Home, the case list, a case page and a new consultation."""

    weight = 10
    fixed_count = FIXED_USERS - FIXED_DASHBOARD if MODE != "ramp" else 0
    wait_time = _wait((1, 3))

    def on_start(self) -> None:
        number = (next(_counselors) - 1) % COUNSELORS + 1
        log_in(self, f"bench_counselor_{number:02d}", "counselor")
        self.case_ids: list[str] = []

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(3)
    def case_list(self) -> None:
        response = self.client.get("/cases/?status=open", name="case list")
        self.case_ids = CASE_RE.findall(response.text or "") or self.case_ids

    @task(3)
    def case_page(self) -> None:
        if self.case_ids:
            self.client.get(f"/cases/{random.choice(self.case_ids)}/", name="case page")

    @task(1)
    def record_consultation(self) -> None:
        if not self.case_ids:
            return
        url = f"/cases/{random.choice(self.case_ids)}/"
        page = self.client.get(url, name="case page")
        token = CSRF_RE.search(page.text or "")
        submission = SUBMISSION_RE.search(page.text or "")
        today = dt.date.today().isoformat()
        with self.client.post(
            f"{url}consultations/new/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "date": today,
                "method": "phone",
                "with_whom": "family",
                "duration_minutes": "20",
                # The form's own token, and notes that differ: users share the bench's
                # accounts, and the same content twice within 30 minutes is (rightly) answered
                # 「同じ内容の記録がすでにあります」 instead of saved (core/resubmission.py).
                "submission_token": submission.group(1) if submission else "",
                "notes": f"負荷試験の架空の記録 {random.randrange(10**9)}",
                "next_action": "",
                "next_action_date": "",
            },
            headers={"Referer": f"{self.host}{url}"},
            name="record consultation",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"consultation not saved: {response.status_code}")


class DashboardUser(FastHttpUser):
    """Prefecture staff watching the KPI dashboard."""

    weight = 1
    fixed_count = FIXED_DASHBOARD if MODE != "ramp" else 0
    wait_time = _wait((2, 5))

    def on_start(self) -> None:
        log_in(self, "bench_prefecture", "dashboard")

    @task
    def dashboard(self) -> None:
        self.client.get("/kpi/", name="dashboard")


class FloorUser(FastHttpUser):
    """The stack's floor: a minimal authenticated page (only in the benchmark's URLconf).
    Run alone (`locust … FloorUser`), with the counselors' think time."""

    weight = 1
    wait_time = _wait((1, 3))

    def on_start(self) -> None:
        number = (next(_counselors) - 1) % COUNSELORS + 1
        log_in(self, f"bench_counselor_{number:02d}", "counselor")

    @task
    def floor(self) -> None:
        self.client.get("/bench/floor/", name="floor page")


if MODE == "ramp":

    class Ramp(LoadTestShape):
        """Steps of growing user counts. The first BENCH_RAMP_WARMUP_SECONDS (caches, every
        gunicorn worker's first pages) and each step's first BENCH_RAMP_SETTLE_SECONDS (users
        arriving) are left out of the figures. A step over the limit is measured once more
        before the ramp ends (BENCH_RAMP_CONFIRM, 1), so that one burst of another job on a
        shared machine does not end it. The time bound BENCH_RAMP_MAX_SECONDS includes all."""

        start_users = int(_float("BENCH_RAMP_START", 10))
        factor = _float("BENCH_RAMP_FACTOR", 1.25)
        step_seconds = _float("BENCH_RAMP_STEP_SECONDS", 8)
        settle_seconds = _float("BENCH_RAMP_SETTLE_SECONDS", 3)
        warmup_seconds = _float("BENCH_RAMP_WARMUP_SECONDS", 8)
        max_seconds = _float("BENCH_RAMP_MAX_SECONDS", RAMP_MAX_SECONDS)
        limit_ms = _float("BENCH_RAMP_LIMIT_MS", 300)
        confirm = int(_float("BENCH_RAMP_CONFIRM", 1))

        def __init__(self) -> None:
            super().__init__()
            self.steps: list[dict[str, object]] = []
            self.level = 0  # users = start × factor^level
            self.slot = -1  # the step being run: -1 the warm-up
            self.retried = False
            self.measuring = False
            self.measure_started = 0.0
            self.stopped = False
            self.cpu = CpuSample(
                client_pid=os.getpid(),
                server_pid=int(os.environ.get("BENCH_SERVER_PID") or 0) or None,
                database=os.environ.get("BENCH_DATABASE", ""),
            )

        def users_at(self, level: int) -> int:
            return max(1, round(self.start_users * self.factor**level))

        def _write(self, reason: str) -> None:
            target = os.environ.get("BENCH_RAMP_OUTPUT")
            if target:
                Path(target).write_text(json.dumps({"steps": self.steps, "ended_by": reason}))

        def _close_step(self) -> str | None:
            """Record the step just measured; why it is over the limit, if it is."""
            assert self.runner is not None
            seconds = time.monotonic() - self.measure_started
            stats = self.runner.stats
            pages = _entries(stats)
            requests = stats.total.num_requests
            worst = max(pages.items(), key=lambda kv: kv[1]["p95"], default=("", {"p95": 0}))
            reason = None
            if stats.total.num_failures:
                reason = "errors"
            elif not requests:
                reason = "no requests"
            elif worst[1]["p95"] > self.limit_ms:
                reason = f"p95 over {self.limit_ms:.0f} ms"
            self.steps.append(
                {
                    "users": self.users_at(self.level),
                    "measured_seconds": round(seconds, 1),
                    "requests": requests,
                    "failures": stats.total.num_failures,
                    "rps": round(requests / seconds, 1) if seconds else 0.0,
                    "worst_page": worst[0],
                    "worst_p95_ms": worst[1]["p95"],
                    "under_limit": reason is None,
                    "repeat_of_previous": self.retried,
                    "by_request": pages,
                    "cpu": self.cpu.stop(),
                }
            )
            return reason

        def _next(self, reason: str | None, run_time: float) -> str | None:
            """Move to the next level (or repeat this one); the reason to stop, if any."""
            if reason is not None and not self.retried and self.confirm:
                self.retried = True
            elif reason is not None:
                return reason
            else:
                self.retried = False
                self.level += 1
            if run_time + self.step_seconds > self.max_seconds:
                return "time bound (BENCH_RAMP_MAX_SECONDS)"
            return None

        def tick(self) -> tuple[int, float] | None:
            if self.stopped:
                return None
            assert self.runner is not None
            run_time = self.get_run_time()
            slot = (
                -1
                if run_time < self.warmup_seconds
                else int((run_time - self.warmup_seconds) // self.step_seconds)
            )
            if slot != self.slot:
                if self.measuring:
                    self.measuring = False
                    reason = self._next(self._close_step(), run_time)
                    if reason is not None:
                        self._write(reason)
                        self.stopped = True
                        return None
                self.slot = slot
            slot_start = self.warmup_seconds + max(0, slot) * self.step_seconds
            if slot >= 0 and not self.measuring and run_time - slot_start >= self.settle_seconds:
                self.runner.stats.reset_all()
                self.cpu.start()
                self.measure_started = time.monotonic()
                self.measuring = True
            users = self.users_at(self.level)
            return users, max(users, 50)
