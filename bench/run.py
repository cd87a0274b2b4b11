"""`make bench`: build (or reuse) the synthetic dataset, measure, print a table, write JSON.

    BENCH_SCALE=full|small|tiny  DATABASE_URL=postgres://…/bench_full  python -m bench.run

Measurements (each with its value, goal, ratio and pass/fail):

1. the KPI dashboard request through Django's test Client, for a user with a blank prefecture
   code (the national scope: every prefecture, a table by prefecture) and for one prefecture's
   staff, against the raw SQL floor (the same K1–K4, monthly, by-municipality or
   by-prefecture and secondary aggregates written by hand), timed in the same run;
2. the filtered case list, first and a deep page: p95 over N requests and the query count,
   with the query count at small scale (a subprocess on `<database>_small`) for comparison;
3. a consultation export through `exports.services.write_export` against bare openpyxl
   write-only writing the same rows from memory, and the export's peak memory (RSS of a
   subprocess each) at 10% and 100% of the rows;
4. a locust load test against gunicorn (4 workers) on 127.0.0.1;
4b. the capacity (bench/capacity.py): a ramp of users until a page's p95 passes 300 ms, for
   the daily pages and for a minimal authenticated page (the floor), with each step's CPU
   shares (the load generator shares the cores with the server);
4c. background work (bench/capacity.py): the daily pages' p95 with an export and a ledger
   import running through `manage.py run_worker`, against the same load without them;
2b. each daily page against its own SQL re-run bare (bench/pagecost.py);
5. a 20,000-row ledger import (`exports.ledger_write.ledger_import`, what the browser's
   confirm job runs; parsing included) against a bare `bulk_create` of the same persons,
   cases and consultations as the floor, and against the 386 s the row-by-row import took.
   Both run in a transaction that is rolled back: the dataset stays as it was.
"""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import RAMP_MAX_SECONDS

if TYPE_CHECKING:  # Django is set up at run time, after these imports
    from accounts.types import User

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results.json"
PRODUCTION_LIKE_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,testserver,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
}
# Rows exported, repetitions, load-test length per scale.
PLAN: dict[str, dict[str, int]] = {
    "full": {
        "export_rows": 1_000_000,
        "repeat": 20,
        "load_seconds": 60,
        "warmup_seconds": 20,
        "dashboard_repeat": 5,
        "ledger_rows": 20_000,
        "background_seconds": 30,
    },
    "small": {
        "export_rows": 10_000,
        "repeat": 20,
        "load_seconds": 60,
        "warmup_seconds": 20,
        "dashboard_repeat": 5,
        "ledger_rows": 20_000,
        "background_seconds": 30,
    },
    "tiny": {
        "export_rows": 500,
        "repeat": 3,
        "load_seconds": 8,
        "warmup_seconds": 4,
        "dashboard_repeat": 2,
        "ledger_rows": 500,
        "background_seconds": 6,
    },
}
GOALS = {
    "dashboard_ratio": 1.5,
    # Issue #22: the national page, counted cold from the maintained aggregates, at most a
    # quarter of the 16-query SQL floor; a prefecture page well under it (ratio reported).
    "dashboard_national_ratio": 0.25,
    "list_p95_ms": 150.0,
    "export_throughput_ratio": 0.8,
    "export_memory_ratio": 1.2,
    "load_p95_ms": 300.0,
    # A quarter of the row-by-row import's 386 s for 20,000 rows (issue #15).
    "ledger_import_s_per_20k": 386.0 / 4,
    # Issue #22: the daily pages' capacity at least 4× the 19 requests/s measured before, and
    # at least a quarter of the floor page's; each page within 2× its own SQL; background
    # work raising the daily pages' p95 by at most 1.5×.
    "capacity_baseline_rps": 19.0,
    "capacity_baseline_factor": 4.0,
    "capacity_floor_share": 0.25,
    "page_sql_ratio": 2.0,
    "background_ratio": 1.5,
}


def setup_django() -> None:
    for key, value in PRODUCTION_LIKE_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


@dataclass
class Result:
    name: str
    value: float
    unit: str
    goal: str
    ratio: float | None
    passed: bool | None
    detail: dict[str, Any]


def database_url() -> str:
    """The URL of the database this process uses (in tests: the test database), for the
    subprocesses (export memory, gunicorn)."""
    from urllib.parse import quote

    from django.db import connection

    d = connection.settings_dict
    auth = quote(d["USER"] or "postgres") + (f":{quote(d['PASSWORD'])}" if d["PASSWORD"] else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), **extra}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up: caches and connections are part of neither measurement
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


# --- 1. the dashboard against the SQL floor ---------------------------------------------------


FLOOR_SQL = {
    "K1 monthly": """
        SELECT date_trunc('month', c.intake_date), count(*)
        FROM cases_case c JOIN core_municipality m ON m.id = c.municipality_id
        WHERE m.prefecture_code = %(pref)s AND c.intake_date BETWEEN %(start)s AND %(end)s
            AND c.voided_at IS NULL
        GROUP BY 1""",
    "K2 monthly": """
        SELECT date_trunc('month', first), count(*) FROM (
            SELECT mt.municipality_id, min(mt.held_on) AS first
            FROM platforms_casemeeting mt JOIN core_municipality m ON m.id = mt.municipality_id
            WHERE m.prefecture_code = %(pref)s AND mt.held_on BETWEEN %(start)s AND %(end)s
            GROUP BY 1) f
        GROUP BY 1""",
    "K3 monthly": """
        SELECT date_trunc('month', r.connected_on), count(*)
        FROM referrals_referral r
        JOIN cases_case c ON c.id = r.case_id
        JOIN core_municipality m ON m.id = c.municipality_id
        WHERE r.counted_as_ibasho AND m.prefecture_code = %(pref)s
            AND r.connected_on BETWEEN %(start)s AND %(end)s AND c.voided_at IS NULL
        GROUP BY 1""",
    "K4 monthly": """
        SELECT date_trunc('month', first), count(*) FROM (
            SELECT o.person_id, min(o.started_on) AS first
            FROM referrals_employmentoutcome o
            JOIN cases_case c ON c.id = o.case_id
            JOIN core_municipality m ON m.id = c.municipality_id
            WHERE o.after_intermediate AND m.prefecture_code = %(pref)s
                AND o.started_on BETWEEN %(start)s AND %(end)s
                AND o.voided_at IS NULL AND c.voided_at IS NULL
            GROUP BY 1) f
        GROUP BY 1""",
    "by municipality": """
        SELECT m.code, m.name_ja, j.name_ja, COALESCE(k1.n, 0), COALESCE(k2.n, 0), k2.first,
            COALESCE(k3.n, 0), COALESCE(k4.n, 0),
            EXISTS (SELECT 1 FROM platforms_platform p WHERE p.municipality_id = m.id
                AND p.status = 'established' AND p.established_on <= %(end)s)
        FROM core_municipality m
        JOIN core_jurisdiction j ON j.id = m.jurisdiction_id
        LEFT JOIN (SELECT municipality_id, count(*) AS n FROM cases_case
            WHERE intake_date BETWEEN %(start)s AND %(end)s AND voided_at IS NULL
            GROUP BY 1) k1
            ON k1.municipality_id = m.id
        LEFT JOIN (SELECT municipality_id, count(*) AS n, min(held_on) AS first
            FROM platforms_casemeeting WHERE held_on BETWEEN %(start)s AND %(end)s
            GROUP BY 1) k2 ON k2.municipality_id = m.id
        LEFT JOIN (SELECT c.municipality_id, count(*) AS n FROM referrals_referral r
            JOIN cases_case c ON c.id = r.case_id
            WHERE r.counted_as_ibasho AND r.connected_on BETWEEN %(start)s AND %(end)s
                AND c.voided_at IS NULL
            GROUP BY 1) k3 ON k3.municipality_id = m.id
        LEFT JOIN (SELECT c.municipality_id, count(DISTINCT o.person_id) AS n
            FROM referrals_employmentoutcome o JOIN cases_case c ON c.id = o.case_id
            WHERE o.after_intermediate AND o.started_on BETWEEN %(start)s AND %(end)s
                AND o.voided_at IS NULL AND c.voided_at IS NULL
            GROUP BY 1) k4 ON k4.municipality_id = m.id
        WHERE m.prefecture_code = %(pref)s
        ORDER BY k2.n IS NOT NULL, m.code""",
}


# Past years (the comparison table): each indicator over three full fiscal years at once.
_PAST_YEARS = """
        SELECT {columns}
        FROM {source}
        WHERE {where} AND {date} BETWEEN %(p1_start)s AND %(p3_end)s"""


def _past(source: str, where: str, date: str, counted: str) -> str:
    columns = ", ".join(
        f"count({counted}) FILTER (WHERE {date} BETWEEN %(p{n}_start)s AND %(p{n}_end)s)"
        for n in (1, 2, 3)
    )
    return _PAST_YEARS.format(columns=columns, source=source, where=where, date=date)


FLOOR_SQL.update(
    {
        "K1 past years": _past(
            "cases_case c JOIN core_municipality m ON m.id = c.municipality_id",
            "m.prefecture_code = %(pref)s AND c.voided_at IS NULL",
            "c.intake_date",
            "*",
        ),
        "K2 past years": _past(
            "platforms_casemeeting mt JOIN core_municipality m ON m.id = mt.municipality_id",
            "m.prefecture_code = %(pref)s",
            "mt.held_on",
            "DISTINCT mt.municipality_id",
        ),
        "K3 past years": _past(
            """referrals_referral r JOIN cases_case c ON c.id = r.case_id
            JOIN core_municipality m ON m.id = c.municipality_id""",
            "r.counted_as_ibasho AND m.prefecture_code = %(pref)s AND c.voided_at IS NULL",
            "r.connected_on",
            "*",
        ),
        "K4 past years": _past(
            """referrals_employmentoutcome o JOIN cases_case c ON c.id = o.case_id
            JOIN core_municipality m ON m.id = c.municipality_id""",
            "o.after_intermediate AND m.prefecture_code = %(pref)s"
            " AND o.voided_at IS NULL AND c.voided_at IS NULL",
            "o.started_on",
            "DISTINCT o.person_id",
        ),
        "municipal status": """
            SELECT count(*) FILTER (WHERE s.needs_assessed_on <= %(end)s),
                count(*) FILTER (WHERE s.jusoteki)
            FROM platforms_municipalstatus s JOIN core_municipality m ON m.id = s.municipality_id
            WHERE m.prefecture_code = %(pref)s AND s.fiscal_year = %(fy)s""",
        "platforms": """
            SELECT count(*) FROM platforms_platform p
            JOIN core_municipality m ON m.id = p.municipality_id
            WHERE m.prefecture_code = %(pref)s AND p.status = 'established'
                AND p.established_on <= %(end)s""",
        "survey": """
            SELECT sum(s.persons), count(DISTINCT s.municipality_id), max(s.survey_date)
            FROM kpi_surveycount s JOIN core_municipality m ON m.id = s.municipality_id
            WHERE m.prefecture_code = %(pref)s AND s.survey_date = (
                SELECT max(l.survey_date) FROM kpi_surveycount l
                WHERE l.municipality_id = s.municipality_id AND l.survey_date <= %(end)s)""",
        "resources": """
            SELECT count(*) FILTER (WHERE k.counts_as_ibasho),
                count(*) FILTER (WHERE k.counts_as_ibasho AND EXISTS (
                    SELECT 1 FROM programme_placesupport ps WHERE ps.resource_id = r.id
                        AND ps.starts_on <= %(end)s
                        AND (ps.ends_on IS NULL OR ps.ends_on >= %(start)s))),
                count(*) FILTER (WHERE k.is_work_training)
            FROM referrals_resource r JOIN referrals_resourcekind k ON k.id = r.kind_id
            LEFT JOIN core_municipality m ON m.id = r.municipality_id
            WHERE r.prefecture_code = %(pref)s
                AND (r.municipality_id IS NULL OR m.prefecture_code = %(pref)s)
                AND (r.opened_on IS NULL OR r.opened_on <= %(end)s)
                AND (r.closed_on IS NULL OR r.closed_on > %(end)s)
                AND (r.active OR r.closed_on IS NOT NULL)""",
        "meetings": """
            SELECT count(*), count(*) FILTER (WHERE mt.supervision <> 'none'),
                count(DISTINCT mt.municipality_id) FILTER (WHERE mt.supervision <> 'none')
            FROM platforms_casemeeting mt JOIN core_municipality m ON m.id = mt.municipality_id
            WHERE m.prefecture_code = %(pref)s AND mt.held_on BETWEEN %(start)s AND %(end)s""",
        "consultations": """
            SELECT count(*), count(DISTINCT c.person_id),
                count(*) FILTER (WHERE c.intake_date >= %(start)s),
                count(DISTINCT c.person_id) FILTER (WHERE c.intake_date >= %(start)s),
                count(*) FILTER (WHERE c.intake_date < %(start)s),
                count(DISTINCT c.person_id) FILTER (WHERE c.intake_date < %(start)s)
            FROM cases_consultation x JOIN cases_case c ON c.id = x.case_id
            JOIN core_municipality m ON m.id = c.municipality_id
            WHERE m.prefecture_code = %(pref)s AND x.date BETWEEN %(start)s AND %(end)s
                AND x.voided_at IS NULL AND c.voided_at IS NULL""",
        "consultations by method": """
            SELECT x.method, count(*), count(DISTINCT c.person_id)
            FROM cases_consultation x JOIN cases_case c ON c.id = x.case_id
            JOIN core_municipality m ON m.id = c.municipality_id
            WHERE m.prefecture_code = %(pref)s AND x.date BETWEEN %(start)s AND %(end)s
                AND x.voided_at IS NULL AND c.voided_at IS NULL
            GROUP BY 1""",
    }
)


# The national scope: the same queries without the prefecture condition (nor the join to the
# municipality table that only served it), and the table by prefecture instead of by
# municipality.
_NO_PREFECTURE = (
    (r"\s*(?:LEFT )?JOIN core_municipality m ON m\.id = \w+\.municipality_id", ""),
    (
        r"r\.prefecture_code = %\(pref\)s\s+"
        r"AND \(r\.municipality_id IS NULL OR m\.prefecture_code = %\(pref\)s\)\s+AND ",
        "",
    ),
    (r"m\.prefecture_code = %\(pref\)s AND ", ""),
    (r" AND m\.prefecture_code = %\(pref\)s", ""),
)


def _without_prefecture(sql: str) -> str:
    for pattern, replacement in _NO_PREFECTURE:
        sql = re.sub(pattern, replacement, sql)
    # A join to the cases that only led to the municipality goes too (K3, K4).
    unjoined = re.sub(r"\s*JOIN cases_case c ON c\.id = \w+\.case_id", "", sql)
    if not re.search(r"\bc\.", unjoined):
        sql = unjoined
    if "%(pref)s" in sql or re.search(r"\bm\.", sql):
        raise ValueError(f"a floor query still depends on the prefecture:\n{sql}")
    return sql


FLOOR_SQL_NATIONAL = {
    key: _without_prefecture(sql) for key, sql in FLOOR_SQL.items() if key != "by municipality"
}
FLOOR_SQL_NATIONAL["by prefecture"] = """
    WITH by_municipality AS (
        SELECT m.prefecture_code, count(*) AS municipalities, COALESCE(sum(k1.n), 0) AS k1,
            count(k2.n) AS met, COALESCE(sum(k2.n), 0) AS meetings, min(k2.first) AS first,
            COALESCE(sum(k3.n), 0) AS k3, count(p.id) AS platforms
        FROM core_municipality m
        LEFT JOIN (SELECT municipality_id, count(*) AS n FROM cases_case
            WHERE intake_date BETWEEN %(start)s AND %(end)s AND voided_at IS NULL
            GROUP BY 1) k1
            ON k1.municipality_id = m.id
        LEFT JOIN (SELECT municipality_id, count(*) AS n, min(held_on) AS first
            FROM platforms_casemeeting WHERE held_on BETWEEN %(start)s AND %(end)s
            GROUP BY 1) k2 ON k2.municipality_id = m.id
        LEFT JOIN (SELECT c.municipality_id, count(*) AS n FROM referrals_referral r
            JOIN cases_case c ON c.id = r.case_id
            WHERE r.counted_as_ibasho AND r.connected_on BETWEEN %(start)s AND %(end)s
                AND c.voided_at IS NULL
            GROUP BY 1) k3 ON k3.municipality_id = m.id
        LEFT JOIN platforms_platform p ON p.municipality_id = m.id
            AND p.status = 'established' AND p.established_on <= %(end)s
        GROUP BY 1),
    k4 AS (
        SELECT m.prefecture_code, count(DISTINCT o.person_id) AS n
        FROM referrals_employmentoutcome o JOIN cases_case c ON c.id = o.case_id
        JOIN core_municipality m ON m.id = c.municipality_id
        WHERE o.after_intermediate AND o.started_on BETWEEN %(start)s AND %(end)s
        GROUP BY 1)
    SELECT b.*, COALESCE(k4.n, 0)
    FROM by_municipality b LEFT JOIN k4 ON k4.prefecture_code = b.prefecture_code
    ORDER BY b.prefecture_code"""


def floor_queries(prefecture_code: str) -> dict[str, str]:
    """The floor of one prefecture's dashboard, or of the national one (`""`)."""
    return FLOOR_SQL if prefecture_code else FLOOR_SQL_NATIONAL


def sql_floor(prefecture_code: str, start: Any, end: Any) -> None:
    """Every aggregate the dashboard shows, as hand-written SQL (the targets and baselines,
    two lookups of a few stored rows, are left out). `prefecture_code` empty: the national
    scope."""
    from django.db import connection

    from core.fiscal import fiscal_year, fiscal_year_range

    fy = fiscal_year(start)
    params: dict[str, Any] = {"pref": prefecture_code, "start": start, "end": end, "fy": fy}
    for n in (1, 2, 3):
        params[f"p{n}_start"], params[f"p{n}_end"] = fiscal_year_range(fy - 4 + n)
    with connection.cursor() as cur:
        for sql in floor_queries(prefecture_code).values():
            cur.execute(sql, params)
            cur.fetchall()


def measure_dashboard(repeat: int) -> list[Result]:
    from django.core.cache import cache
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from core.fiscal import current_fiscal_year, fiscal_year_range
    from kpi.scopes import scopes_for_user

    start = fiscal_year_range(current_fiscal_year())[0]
    end = timezone.localdate()
    results = []
    for username, label in [
        ("bench_national", "dashboard, national scope"),
        ("bench_prefecture", "dashboard, one prefecture"),
    ]:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        url = reverse("kpi:dashboard")

        def request(client: Client = client, url: str = url) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")

        def cold_request() -> None:
            cache.clear()  # nothing the page counts is cached; cold all the same
            request()

        scope_kind = scopes_for_user(user)[0].kind  # the dashboard's default scope
        expected = "prefecture" if user.prefecture_code else "national"
        if scope_kind != expected:
            raise RuntimeError(f"{username} got the {scope_kind} scope, not {expected}")
        # A blank prefecture code: the national scope (every prefecture, no filter).
        prefecture = user.prefecture_code
        page = statistics.median(timed(cold_request, repeat))
        floor = statistics.median(timed(lambda p=prefecture: sql_floor(p, start, end), repeat))
        ratio = page / floor if floor else None
        goal = GOALS["dashboard_national_ratio"] if not prefecture else 1.0
        results.append(
            Result(
                name=label,
                value=_ms(page),
                unit="ms",
                goal=(
                    f"≤ {goal}× SQL floor" if not prefecture else "well under the SQL floor (< 1×)"
                ),
                ratio=round(ratio, 2) if ratio else None,
                passed=ratio is not None and ratio <= goal,
                detail={
                    "value_is": (
                        "the page with every figure, cold (cache emptied each time): read "
                        "from the maintained aggregates (kpi.aggregates)"
                    ),
                    "page_ms_median": _ms(page),
                    "floor_ms_median": _ms(floor),
                    "floor_queries": len(floor_queries(prefecture)),
                    "prefecture_code": prefecture,
                    "scope": scope_kind,
                    "user": username,
                },
            )
        )
    return results


# --- 2. the case list -------------------------------------------------------------------------

LIST_FILTER = {"status": "open"}


def list_pages() -> dict[str, dict[str, Any]]:
    """The query strings measured: the open cases of the biggest municipality, page 1 and a
    deep page (page 200, or the last page when there are fewer)."""
    from django.core.paginator import Paginator

    from accounts.models import User
    from cases.models import Case

    user = User.objects.get(username="bench_counselor_01")
    total = Case.objects.in_scope(user).open().count()
    last = max(1, Paginator(range(total), 25).num_pages)
    return {
        "first page": {**LIST_FILTER, "page": "1"},
        "deep page": {**LIST_FILTER, "page": str(min(200, last))},
    }


def list_query_counts() -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench_counselor_01"))
    counts = {}
    for label, params in list_pages().items():
        client.get(reverse("cases:list"), params)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("cases:list"), params)
        assert response.status_code == 200, response.status_code
        counts[label] = len(ctx.captured_queries)
    return counts


def small_scale_query_counts() -> dict[str, int] | None:
    """The case list's query counts on a small-scale dataset in `<database>_small`."""
    from django.db import connection

    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_small"
    url = database_url().rsplit("/", 1)[0] + f"/{name}"
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
    if not exists:
        import psycopg

        with psycopg.connect(
            host=settings_dict["HOST"] or "127.0.0.1",
            port=settings_dict["PORT"] or 5432,
            user=settings_dict["USER"] or "postgres",
            password=settings_dict["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "BENCH_SCALE": "small"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    out = subprocess.run(
        [sys.executable, "-m", "bench.run", "--list-query-counts"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_case_list(repeat: int, scale: str) -> list[Result]:
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench_counselor_01"))
    counts = list_query_counts()
    reference = small_scale_query_counts() if scale == "full" else dict(counts)
    results = []
    for label, params in list_pages().items():

        def request(params: dict[str, str] = params) -> None:
            response = client.get(reverse("cases:list"), params)
            if response.status_code != 200:
                raise RuntimeError(f"case list answered {response.status_code}")

        times = timed(request, repeat)
        value = p95(times)
        same = reference is not None and reference.get(label) == counts[label]
        results.append(
            Result(
                name=f"case list ({'&'.join(f'{k}={v}' for k, v in params.items())}), {label}",
                value=_ms(value),
                unit="ms p95",
                goal=f"< {GOALS['list_p95_ms']:.0f} ms, queries = small scale",
                ratio=round(value * 1000 / GOALS["list_p95_ms"], 2),
                passed=value * 1000 < GOALS["list_p95_ms"] and same,
                detail={
                    "requests": repeat,
                    "median_ms": _ms(statistics.median(times)),
                    "queries": counts[label],
                    "queries_small_scale": (reference or {}).get(label),
                    "reference": "subprocess on <database>_small"
                    if scale == "full"
                    else "this run (already a small dataset)",
                },
            )
        )
    return results


# --- 3. the export ----------------------------------------------------------------------------


def export_kind(rows: int) -> Any:
    """The consultations export, limited to `rows` consultations (the first ids: spread over
    every case, municipality and year). Same columns, order and writer as the real one."""
    from cases.models import Consultation
    from exports.registry import KINDS

    return replace(
        KINDS["consultations"],
        base=lambda user: Consultation.objects.in_scope(user).filter(pk__lte=rows),
    )


def run_export(rows: int, target: Path) -> int:
    from django.http import QueryDict

    from accounts.models import User
    from exports.files import write_export

    return write_export(
        kind=export_kind(rows),
        user=User.objects.get(username="bench_admin"),
        params=QueryDict(),
        include_personal=False,
        target=target,
    )


def bare_openpyxl(rows: list[tuple[Any, ...]], headers: list[str], target: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(target)


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB.

    Linux's `getrusage().ru_maxrss` counts the parent's memory at the moment of the fork that
    started this process (the benchmark's parent holds a million rows for bare openpyxl just
    before), so a child would report the parent's size: /proc's VmHWM is this process's own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def export_peak_rss(rows: int) -> int:
    """Peak RSS (KiB) of a fresh process that runs the export of `rows` rows."""
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.run", "--export-rss", str(rows)],
        cwd=BASE_DIR,
        env=subprocess_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def measure_export(rows: int) -> list[Result]:
    from django.db import connection
    from django.http import QueryDict

    from accounts.models import User

    admin = User.objects.get(username="bench_admin")
    kind = export_kind(rows)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        written = run_export(rows, Path(tmp) / "export.xlsx")
        export_s = time.perf_counter() - started
        with connection.cursor() as cursor:  # the same plan as write_export's
            cursor.execute("SET cursor_tuple_fraction = 1.0")
        data = list(kind.rows(admin, QueryDict(), False))
        with connection.cursor() as cursor:
            cursor.execute("RESET cursor_tuple_fraction")
        headers = [str(c.header) for c in kind.columns_for(False)]
        started = time.perf_counter()
        bare_openpyxl(data, headers, Path(tmp) / "bare.xlsx")
        bare_s = time.perf_counter() - started
        del data
    ratio = (written / export_s) / (written / bare_s) if written else 0.0
    small_rows = max(1, rows // 10)
    rss_small = export_peak_rss(small_rows)
    rss_full = export_peak_rss(rows)
    mem_ratio = rss_full / rss_small
    return [
        Result(
            name=f"consultation export, {written:,} rows",
            value=round(written / export_s),
            unit="rows/s",
            goal=f"≥ {GOALS['export_throughput_ratio']}× bare openpyxl",
            ratio=round(ratio, 2),
            passed=ratio >= GOALS["export_throughput_ratio"],
            detail={
                "rows": written,
                "export_s": round(export_s, 2),
                "bare_openpyxl_s": round(bare_s, 2),
                "bare_openpyxl_rows_per_s": round(written / bare_s) if written else 0,
                "note": "the export reads from PostgreSQL; openpyxl writes a pre-fetched list",
            },
        ),
        Result(
            name=f"export peak RSS, {small_rows:,} → {rows:,} rows",
            value=round(rss_full / 1024, 1),
            unit="MiB",
            goal=f"flat: ≤ {GOALS['export_memory_ratio']}×",
            ratio=round(mem_ratio, 2),
            passed=mem_ratio <= GOALS["export_memory_ratio"],
            detail={
                "rows_small": small_rows,
                "peak_rss_small_mib": round(rss_small / 1024, 1),
                "rows_full": rows,
                "peak_rss_full_mib": round(rss_full / 1024, 1),
            },
        ),
    ]


# --- 5. the ledger import ----------------------------------------------------------------------

LEDGER_ROWS_PER_CASE = 4


def ledger_file(rows: int, code: str, path: Path) -> None:
    """A valid ledger of `rows` rows, LEDGER_ROWS_PER_CASE per case, in the template's columns."""
    import datetime as dt
    import uuid

    from openpyxl import Workbook

    from exports.ledger import ledger_columns

    run = uuid.uuid4().hex[:8]
    columns = ledger_columns()
    label = {c.key: next(iter(c.choices)) for c in columns if c.choices}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(c.header) for c in columns])
    today = dt.date.today()
    for index in range(rows):
        case, row = divmod(index, LEDGER_ROWS_PER_CASE)
        intake = today - dt.timedelta(days=60 + case % 200)
        values = {
            "case_ref": f"B{run}-{case}", "row_ref": row + 1, "municipality_code": code,
            "intake_date": intake, "intake_route": label["intake_route"],
            "visitor": label["visitor"], "name": f"台帳 太郎{case}", "kana": "だいちょう たろう",
            "birth_year": 1980 + case % 20, "sex": label["sex"],
            "date": intake + dt.timedelta(days=row * 7), "method": "電話", "with_whom": "本人",
            "duration_minutes": 30, "notes": "相談の内容" * 10, "next_action": "",
            "next_action_date": None,
        }  # fmt: skip
        sheet.append([values[c.key] for c in columns])
    workbook.save(path)


class _Rollback(Exception):
    pass


def bare_bulk_create(parsed: Any, user: "User") -> None:
    """The floor: the same persons, cases and consultations with three bulk inserts."""
    from cases.models import Case, Consultation, Person
    from core.fiscal import fiscal_year
    from exports.ledger import _groups

    groups = list(_groups(parsed.rows).values())
    persons = Person.objects.bulk_create(
        [Person(municipality=g[0].municipality, name=g[0].values["name"], kana="") for g in groups],
        batch_size=1000,
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                number=f"floor-{p.pk}", municipality=g[0].municipality,
                fiscal_year=fiscal_year(g[0].values["intake_date"]), sequence=2_000_000 + p.pk,
                person=p, intake_date=g[0].values["intake_date"],
                intake_route=g[0].values["intake_route"], visitor=g[0].values["visitor"],
                status_changed_on=g[0].values["intake_date"],
            )
            for g, p in zip(groups, persons, strict=True)
        ],
        batch_size=1000,
    )  # fmt: skip
    Consultation.objects.bulk_create(
        [
            Consultation(
                case=c, date=r.values["date"], method=r.values["method"],
                with_whom=r.values["with_whom"], notes=r.values.get("notes", ""),
                submission_token=r.token, recorded_by=user,
            )
            for g, c in zip(groups, cases, strict=True)
            for r in g
        ],
        batch_size=1000,
    )  # fmt: skip


def measure_ledger_import(rows: int) -> list[Result]:
    import io

    from django.db import transaction

    from accounts import scope
    from accounts.models import User
    from exports.ledger import file_digest, ledger_parse
    from exports.ledger_write import ledger_import

    user = User.objects.get(username="bench_counselor_01")
    code = scope.personal_municipalities(user).order_by("pk").values_list("code", flat=True)[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.xlsx"
        ledger_file(rows, code, path)
        data = path.read_bytes()
    started = time.perf_counter()
    parsed = ledger_parse(stream=io.BytesIO(data), user=user)
    parse_s = time.perf_counter() - started
    if not parsed.ok:
        raise RuntimeError(f"the bench ledger has errors: {parsed.errors[:3]}")
    try:
        with transaction.atomic():
            started = time.perf_counter()
            batch = ledger_import(
                user=user, parsed=parsed, file_name="bench.xlsx", digest=file_digest(data)
            )
            import_s = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    try:
        with transaction.atomic():
            started = time.perf_counter()
            bare_bulk_create(parsed, user)
            floor_s = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    total_s = parse_s + import_s
    goal = GOALS["ledger_import_s_per_20k"] * rows / 20_000
    return [
        Result(
            name=f"ledger import, {rows:,} rows ({batch.cases_created:,} cases)",
            value=round(total_s, 1),
            unit="s",
            goal=f"≤ {goal:.1f} s (¼ of 386 s per 20,000 rows)",
            ratio=round(import_s / floor_s, 2),
            passed=total_s <= goal,
            detail={
                "rows": rows,
                "parse_s": round(parse_s, 2),
                "import_s": round(import_s, 2),
                "bare_bulk_create_s": round(floor_s, 2),
                "ratio_means": "import ÷ bare bulk_create of the same rows",
                "row_by_row_before_s": 386,
            },
        )
    ]


# --- 4. the load test -------------------------------------------------------------------------


def _wait_for(url: str, seconds: float) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def measure_load(seconds: int, port: int, warmup: int = 0) -> list[Result]:
    """55 locust users against gunicorn (4 workers) on 127.0.0.1: `warmup` seconds in which
    everyone logs in (reported separately, errors included), then `seconds` measured."""
    from bench.capacity import SHARED_CORES_NOTE, bench_server, fixed_load

    with tempfile.TemporaryDirectory() as tmp, bench_server(port, tmp) as (_server, env):
        load = fixed_load(env, port, seconds, warmup, tmp, "load", spawn_rate=10)
    stats = dict(load["stats"])
    warmup_stats = load["warmup"]
    total = stats.pop("Aggregated")
    # The pages counselors wait for; the logins (Argon2, 55 users within 6 s on two cores)
    # are reported in the detail but are not what the goal is about.
    pages = {k: v for k, v in stats.items() if "login" not in k}
    value = max((v["p95"] for v in pages.values()), default=total["p95"])
    warmup_failures = warmup_stats["failures"] if warmup_stats else 0
    if warmup and warmup_stats is None:
        raise RuntimeError("the load test's warm-up statistics were not written")
    return [
        Result(
            name=f"load: 50 counselors + 5 dashboard users, {seconds} s",
            value=value,
            unit="ms p95",
            goal=f"< {GOALS['load_p95_ms']:.0f} ms, no errors",
            ratio=round(value / GOALS["load_p95_ms"], 2),
            passed=value < GOALS["load_p95_ms"]
            and total["failures"] == 0
            and warmup_failures == 0
            and total["requests"] > 0,
            detail={
                "value_is": "the worst p95 among the pages (login excluded), after the warm-up",
                "aggregated": total,
                "by_request": stats,
                "warmup": warmup_stats,
                "workers": 4,
                "users": {"counselors": 50, "dashboard": 5},
                "cpu": load["cpu"],
                "shared_cores": SHARED_CORES_NOTE.format(cpus=os.cpu_count() or 1),
            },
        )
    ]


def _read_locust_csv(path: Path) -> dict[str, dict[str, Any]]:
    import csv

    rows: dict[str, dict[str, Any]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Name"] != "Aggregated" else "Aggregated"
            key = name if name == "Aggregated" else f"{row['Type']} {name}"
            rows[key] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "median": float(row["Median Response Time"] or 0),
                "p95": float(row["95%"] if row["95%"] != "N/A" else 0),
                "rps": round(float(row["Requests/s"] or 0), 1),
            }
    return rows


# --- the run ----------------------------------------------------------------------------------


def warm_cache(log: Callable[[str], None] = print) -> dict[str, Any]:
    """Read every table and index of the benchmark's database into the operating system's
    page cache (pg_prewarm's 'read' mode), so that no measurement starts on a cold disk.

    Right after the dataset is built, or after the machine has sat idle, PostgreSQL's files
    are not in memory: the first load test then reads from disk (iowait near 80%, a "quiet"
    p95 of 12 s on a fresh 2-core VM) and its ratio means nothing. Reading them first costs
    about 90 s at full scale from a cold disk and a few seconds when they are already cached.
    Returns what was read, for the JSON; where pg_prewarm cannot be installed (not a
    superuser, no contrib package) it says so and the run goes on cold."""
    from django.db import DatabaseError, connection, transaction

    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cur:
            # From a cold disk this takes longer than the app's statement timeout (15 s;
            # config/settings.py), which had cut it short: no limit for this one read.
            cur.execute("SET LOCAL statement_timeout = 0")
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cur.execute(
                "SELECT count(*), coalesce(sum(pg_prewarm(c.oid, 'read')), 0)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'm')"
                " AND c.relpersistence = 'p'"
            )
            relations, blocks = cur.fetchone()
            cur.execute("SELECT current_setting('block_size')::int")
            block_size = cur.fetchone()[0]
    except DatabaseError as error:
        log(f"page cache not warmed (pg_prewarm: {str(error).strip()}): the first runs read disk")
        return {"warmed": False, "reason": str(error).strip()[:300]}
    seconds = time.perf_counter() - started
    mib = blocks * block_size / 2**20
    log(f"page cache warmed: {relations} relations, {mib:,.0f} MiB read in {seconds:.1f} s")
    return {"warmed": True, "relations": relations, "mib": round(mib), "seconds": round(seconds, 1)}


DAMON_ADMIN = Path("/sys/kernel/mm/damon/admin/kdamonds")


def cold_page_reclaim(root: Path = DAMON_ADMIN) -> str | None:
    """Whether the kernel pages out memory that sat idle (a DAMON `pageout` scheme, as some
    VMs run to hand memory back to their host), and after how long: such a machine drops the
    page cache of the files a long part did not read (seen here: the load tests after the
    export ran on a half-cold cache, p95 ×2–3), which is why `run` warms it before each load
    test. None where there is no such scheme (or no DAMON)."""
    try:
        for kdamond in sorted(root.glob("[0-9]*")):
            if (kdamond / "state").read_text().strip() != "on":
                continue
            for context in sorted((kdamond / "contexts").glob("[0-9]*")):
                aggregate_us = int((context / "monitoring_attrs/intervals/aggr_us").read_text())
                for scheme in sorted((context / "schemes").glob("[0-9]*")):
                    if (scheme / "action").read_text().strip() != "pageout":
                        continue
                    age = int((scheme / "access_pattern/age/min").read_text())
                    return f"DAMON pageout of memory idle for {age * aggregate_us / 1e6:g} s"
    except (OSError, ValueError):
        return None
    return None


def table(results: list[Result]) -> str:
    lines = [f"{'measurement':<62} {'value':>14}  {'goal':<36} {'ratio':>6}  result"]
    for r in results:
        verdict = "n/a" if r.passed is None else ("PASS" if r.passed else "FAIL")
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(
            f"{r.name:<62} {r.value:>8,.1f} {r.unit:<5} {r.goal:<36} {ratio:>6}  {verdict}"
        )
    return "\n".join(lines)


DEFAULT_PARTS = (
    "dashboard", "list", "pages", "export", "load", "capacity", "background", "ledger",
)  # fmt: skip


def run(
    scale: str,
    *,
    parts: tuple[str, ...] = DEFAULT_PARTS,
    port: int = 8201,
    output: Path | None = RESULTS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    from django.db import connection

    from bench.generate import generate

    plan = dict(PLAN[scale])
    for key in plan:
        override = os.environ.get(f"BENCH_{key.upper()}")
        if override:
            plan[key] = int(override)
    started = time.perf_counter()
    log(f"dataset (scale {scale}):")
    counts = generate(scale, log=log)
    generated_s = time.perf_counter() - started
    measuring = set(parts) & set(DEFAULT_PARTS)
    cache = warm_cache(log) if measuring else {"warmed": False, "reason": "nothing measured"}
    rewarmed: dict[str, Any] = {}

    def warm_again(part: str) -> None:
        # Before each load test, read the files in again: a machine that reclaims idle page
        # cache (cold_page_reclaim) dropped what the parts before it did not touch.
        if cache.get("warmed"):
            rewarmed[part] = warm_cache(log)

    results: list[Result] = []
    if "dashboard" in parts:
        results += measure_dashboard(plan["dashboard_repeat"])
    if "list" in parts:
        results += measure_case_list(plan["repeat"], scale)
    if "pages" in parts:
        from bench.pagecost import measure_page_cost

        results += measure_page_cost(plan["repeat"])
    if "export" in parts:
        results += measure_export(min(plan["export_rows"], counts.consultations))
    if "load" in parts:
        warm_again("load")
        results += measure_load(plan["load_seconds"], port, plan["warmup_seconds"])
    if "capacity" in parts:
        warm_again("capacity")
        from bench.capacity import measure_capacity

        bound = int(os.environ.get("BENCH_RAMP_MAX_SECONDS") or RAMP_MAX_SECONDS)
        log(f"capacity ramps (≤ {2 * bound} s)")
        results += measure_capacity(port)
    if "background" in parts:
        warm_again("background")
        from bench.capacity import measure_background

        results += measure_background(
            port,
            plan["background_seconds"],
            min(plan["export_rows"], counts.consultations),
            plan["ledger_rows"],
        )
    if "ledger" in parts:
        results += measure_ledger_import(plan["ledger_rows"])
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
        # The server settings the figures depend on most (README, "Deploying on PostgreSQL").
        cur.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
            " ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather',"
            " 'synchronous_commit')"
        )
        server_settings = dict(cur.fetchall())
    report = {
        "scale": scale,
        "counts": asdict(counts),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(
                os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
            ),
            "python": platform.python_version(),
            "postgresql": server_version,
            "postgresql_settings": server_settings,
            # The machine's load when the run ended (1, 5 and 15 minutes): a busy machine
            # inflates every absolute time (the ratios less so).
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cold_page_reclaim": cold_page_reclaim(),
            "shared_cores": "the load generator (locust) runs on the same cores as the server"
            " (gunicorn, PostgreSQL): the load tests' JSON keeps each one's CPU",
        },
        "dataset_s": round(generated_s, 1),
        # What was read into the page cache before measuring (warm_cache).
        "page_cache": cache,
        "page_cache_before": rewarmed,
        "results": [asdict(r) for r in results],
    }
    log(table(results))
    from bench.capacity import load_notes

    for line in load_notes(results):
        log(line)
    if output is not None:
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
        log(f"written: {output}")
    return report


def main(argv: list[str]) -> int:
    setup_django()
    if argv[:1] == ["--list-query-counts"]:
        from bench.generate import generate

        generate(os.environ.get("BENCH_SCALE", "small"), log=lambda _line: None)
        print(json.dumps(list_query_counts()))
        return 0
    if argv[:1] == ["--export-rss"]:
        with tempfile.TemporaryDirectory() as tmp:
            run_export(int(argv[1]), Path(tmp) / "export.xlsx")
        print(peak_rss_kib())
        return 0
    from bench.generate import BenchRefused

    try:
        output = os.environ.get("BENCH_OUTPUT")
        parts = os.environ.get("BENCH_PARTS")
        run(
            os.environ.get("BENCH_SCALE", "full"),
            parts=tuple(parts.split(",")) if parts else DEFAULT_PARTS,
            port=int(os.environ.get("BENCH_PORT", "8201")),
            output=Path(output) if output else RESULTS,
        )
    except BenchRefused as refusal:
        print(refusal, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
