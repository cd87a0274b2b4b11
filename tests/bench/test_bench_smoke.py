"""The benchmark keeps working: `BENCH_SCALE=small python -m bench.run`, end to end.

On PostgreSQL the whole run (the 1% dataset: 10,000 cases, 50,000 consultations over 1,741
municipalities; dashboard against the SQL floor, case list with its query counts, export and
its memory, a short locust run against gunicorn) goes in a subprocess on a database of its
own, so the test database is left alone. The repetitions, exported rows and load-test seconds
are cut down (BENCH_* overrides) to keep the suite quick; the measurements are the same code.
On SQLite the generator must refuse with its message.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from bench.generate import BenchRefused, Counts, generate, municipality_rows
from core.codes import is_valid_code

BASE_DIR = Path(__file__).resolve().parents[2]


def test_municipality_codes_are_valid_unique_and_cover_every_prefecture():
    rows = municipality_rows()
    codes = [row[1] for row in rows]
    assert len(rows) == 1741
    assert len(set(codes)) == 1741
    assert all(is_valid_code(code) for code in codes)
    assert {row[2] for row in rows} == {f"{n:02d}" for n in range(1, 48)}
    assert all(code[:2] == row[2] for code, row in zip(codes, rows, strict=True))


def test_scales_keep_the_municipalities_and_scale_the_records():
    small, full = Counts.for_scale("small"), Counts.for_scale("full")
    assert (small.municipalities, small.prefectures) == (1741, 47)
    assert full.cases == 1_000_000 and small.cases == 10_000
    assert full.consultations == 5_000_000 and small.consultations == 50_000


def _admin(sql: str) -> None:
    """Run one statement outside any transaction (CREATE/DROP DATABASE)."""
    import psycopg

    d = connection.settings_dict
    with psycopg.connect(
        host=d["HOST"] or "127.0.0.1",
        port=d["PORT"] or 5432,
        user=d["USER"] or "postgres",
        password=d["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_bench_runs_at_small_scale_on_postgresql_and_refuses_elsewhere(tmp_path):
    if connection.vendor != "postgresql":
        with pytest.raises(BenchRefused, match="The benchmark needs PostgreSQL"):
            generate("small")
        return

    from bench.run import database_url

    name = f"{connection.settings_dict['NAME']}_bench"
    url = database_url().rsplit("/", 1)[0] + f"/{name}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BENCH_SCALE": "small",
        "BENCH_REPEAT": "3",
        "BENCH_DASHBOARD_REPEAT": "2",
        "BENCH_EXPORT_ROWS": "2000",
        "BENCH_LOAD_SECONDS": "3",
        "BENCH_WARMUP_SECONDS": "4",  # the 55 logins (production Argon2) start in it
        "BENCH_LEDGER_ROWS": "400",
        # The capacity ramps and the background comparison, cut to seconds: each ramp is
        # its warm-up and two steps (the second with more users), measured after the settle.
        "BENCH_RAMP_WARMUP_SECONDS": "1",
        "BENCH_RAMP_STEP_SECONDS": "2",
        "BENCH_RAMP_SETTLE_SECONDS": "1",
        "BENCH_RAMP_MAX_SECONDS": "5",
        "BENCH_BACKGROUND_SECONDS": "2",
        "BENCH_BACKGROUND_WARMUP_SECONDS": "1",
        "BENCH_OUTPUT": str(tmp_path / "results.json"),
        "BENCH_PORT": str(_free_port()),
    }
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            # A hang guard only: the whole history of migrations takes over 120 s on a
            # loaded 2-core machine (seen with load averages of 8-10).
            timeout=600,
        )
        run = subprocess.run(
            [sys.executable, "-m", "bench.run"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        report = json.loads((tmp_path / "results.json").read_text())
        # A second run reuses the dataset (the marker table) instead of rebuilding it.
        again = subprocess.run(
            [
                sys.executable,
                "-c",
                "from bench.run import setup_django; setup_django();"
                "from bench.generate import generate; generate('small')",
            ],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert "already present: reused" in again.stdout, again.stderr[-2000:]

    assert report["scale"] == "small"
    assert report["counts"]["municipalities"] == 1741
    assert report["counts"]["cases"] == 10_000
    assert report["counts"]["consultations"] == 50_000
    names = [r["name"] for r in report["results"]]
    assert len(names) == 16, names
    for result in report["results"]:
        assert {"value", "goal", "ratio", "passed", "unit"} <= result.keys()
        # A capacity is 0 when a loaded machine is over the limit from the first step.
        assert result["value"] > 0 or result["name"].startswith("capacity"), result
    dashboard = [r for r in report["results"] if r["name"].startswith("dashboard")]
    assert all(r["detail"]["floor_ms_median"] > 0 for r in dashboard)
    lists = [r for r in report["results"] if r["name"].startswith("case list")]
    assert [r["detail"]["queries"] for r in lists] == [
        r["detail"]["queries_small_scale"] for r in lists
    ]
    export = next(r for r in report["results"] if r["name"].startswith("consultation export"))
    assert export["detail"]["rows"] == 2000
    memory = next(r for r in report["results"] if r["name"].startswith("export peak"))
    assert memory["detail"]["rows_small"] == 200
    load_result = next(r for r in report["results"] if r["name"].startswith("load:"))
    load = load_result["detail"]["aggregated"]
    assert load["requests"] > 0
    assert load["failures"] == 0, load_result["detail"]["by_request"]
    warmup = load_result["detail"]["warmup"]
    assert warmup["requests"] > 0 and warmup["failures"] == 0, warmup

    # The capacity ramps: daily pages and the floor page, each step with the CPU shares.
    daily, floor = (
        next(r for r in report["results"] if r["name"].startswith(f"capacity, {which}"))
        for which in ("daily", "floor")
    )
    assert daily["detail"]["floor_capacity_rps"] == floor["value"]
    assert daily["detail"]["baseline_rps"] == 19.0
    for ramp in (daily["detail"]["ramp"], floor["detail"]["ramp"]):
        assert ramp["steps"], ramp
        assert ramp["ended_by"]
        for step in ramp["steps"]:
            assert {"users", "rps", "worst_p95_ms", "under_limit", "by_request"} <= step.keys()
            assert {"client_cores", "server_cores", "other_cores"} <= step["cpu"].keys()
    assert "share this machine's" in daily["detail"]["shared_cores"]
    assert "shared_cores" in report["machine"]
    assert "cold_page_reclaim" in report["machine"]
    # The page cache is read again before each load test (when it could be read at all).
    if report["page_cache"]["warmed"]:
        assert set(report["page_cache_before"]) == {"load", "capacity", "background"}
        assert all(warm["warmed"] for warm in report["page_cache_before"].values())
    # Each daily page against its own SQL, with its query count.
    pages = [r for r in report["results"] if r["name"].startswith("page cost")]
    assert len(pages) == 5, [r["name"] for r in pages]
    for page in pages:
        assert page["detail"]["queries"] > 0 and page["detail"]["sql_ms_median"] > 0, page
    # Background work through run_worker, at lower priority, cleaned up afterwards.
    background = next(r for r in report["results"] if r["name"].startswith("background work"))
    detail = background["detail"]
    assert detail["without_ms_p95"] > 0 and detail["with_ms_p95"] > 0, detail
    assert detail["failures"] == 0, detail["by_page_p95"]
    # CPU shares are sampled after the warm-up; a machine too loaded to finish it has none.
    assert detail["cpu"]["with"] is None or "workers_cores" in detail["cpu"]["with"]
    assert detail["background"]["export"]["jobs_queued"] >= 1
    assert all(n is None or n >= 10 for n in detail["background"]["worker_nice"]), detail
    assert detail["background"]["worker_yield"]["ratio"] == 1.0  # the default pacing
    cpu = load_result["detail"]["cpu"]
    assert (cpu is not None and cpu["client_cores"] is not None) or warmup["ended_before_warmup"]
