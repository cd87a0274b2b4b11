"""The load test: 50 counselors and 5 dashboard users (run by `bench.run`, or by hand:
`locust -f bench/locustfile.py --host http://127.0.0.1:8201`)."""

import datetime as dt
import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

from bench.generate import COUNSELORS, PASSWORD

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_RE = re.compile(r'href="/cases/(\d+)/"')
_counselors = itertools.count(1)
# The first seconds (every user logging in: 55 Argon2 hashes on two cores) are a warm-up: its
# statistics, failures included, are written to BENCH_WARMUP_STATS and then reset, so the
# report covers the steady state that follows and no error of the warm-up goes unseen.
WARMUP_SECONDS = float(os.environ.get("BENCH_WARMUP_SECONDS", "0"))


def _end_warmup(environment: Environment) -> None:
    stats = environment.stats
    summary = {
        "seconds": WARMUP_SECONDS,
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "by_request": {
            f"{entry.method} {entry.name}": {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "median": entry.median_response_time,
                "p95": entry.get_response_time_percentile(0.95),
            }
            for entry in stats.entries.values()
        },
    }
    target = os.environ.get("BENCH_WARMUP_STATS")
    if target:
        Path(target).write_text(json.dumps(summary))
    stats.reset_all()


@events.test_start.add_listener
def _schedule_end_of_warmup(environment: Environment, **_kwargs: Any) -> None:
    if WARMUP_SECONDS > 0 and environment.stats is not None:
        gevent.spawn_later(WARMUP_SECONDS, _end_warmup, environment)


def log_in(user: HttpUser, username: str) -> None:
    page = user.client.get("/accounts/login/", name="login page")
    token = CSRF_RE.search(page.text)
    response = user.client.post(
        "/accounts/login/",
        {
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        headers={"Referer": f"{user.host}/accounts/login/"},
        name="login",
        allow_redirects=False,
    )
    if response.status_code != 302:
        response.failure(f"login of {username} answered {response.status_code}")


class Counselor(HttpUser):
    """Home, the case list, a case page and a new consultation."""

    fixed_count = 50
    wait_time = between(1, 3)

    def on_start(self) -> None:
        number = (next(_counselors) - 1) % COUNSELORS + 1
        log_in(self, f"bench_counselor_{number:02d}")
        self.case_ids: list[str] = []

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(3)
    def case_list(self) -> None:
        response = self.client.get("/cases/?status=open", name="case list")
        self.case_ids = CASE_RE.findall(response.text) or self.case_ids

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
        token = CSRF_RE.search(page.text)
        today = dt.date.today().isoformat()
        with self.client.post(
            f"{url}consultations/new/",
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "date": today,
                "method": "phone",
                "with_whom": "family",
                "duration_minutes": "20",
                "notes": "負荷試験の架空の記録",
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


class DashboardUser(HttpUser):
    """Prefecture staff watching the KPI dashboard."""

    fixed_count = 5
    wait_time = between(2, 5)

    def on_start(self) -> None:
        log_in(self, "bench_prefecture")

    @task
    def dashboard(self) -> None:
        self.client.get("/kpi/", name="dashboard")
