"""Where the time of a daily page goes: total, SQL, and the SQL run bare, per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_small \\
        .venv/bin/python scripts/profile_pages.py [--repeat 30] [--profile home] [--top 40]

Runs against a benchmark dataset (`make bench` builds one; BENCH_SCALE=small is enough) with
the benchmark's production-like settings (bench.run.setup_django: DEBUG off; bench.settings,
whose URLconf adds the floor page: the middleware, one query and a tiny template). Each page is
requested through Django's test client as its user, logged in through the login page (the
session, django-otp and the session rules as in production; CSRF enforced), a few times to
warm up, then `--repeat` times. For each page it prints the median of:

- total: the request through every middleware, the view and the template (wall clock);
- cpu: this process's CPU time for it (steadier than the wall clock on a busy machine; the
  database server's own work is not in it), and in brackets the least of the repetitions;
- sql: the time Django's cursor wrapper saw in the database calls (CaptureQueriesContext);
- bare: the same captured statements executed again on a raw psycopg cursor, in a transaction
  that is rolled back (no ORM, no template: the page's own SQL floor);
- queries: how many statements the page sent;
- calls: Python function calls in one request (cProfile), which a busy machine does not
  change: the steady measure of a change's effect on the app's own work.

and total/bare, the ratio issue #22 asks to keep under 2. `--profile PAGE` (repeatable, or
`all`) runs cProfile over the repetitions of that page and prints the top functions by own
time and by cumulative time; `--profile-dir DIR` also writes the .prof files for snakeviz or
pstats. `--explain MS` prints `EXPLAIN (ANALYZE, BUFFERS)` of each SELECT of a page that took
MS or more (PostgreSQL). `--json FILE` writes the table as JSON.

The test client is not gunicorn: no WSGI server, no socket, and the client keeps the database
connection open across requests (as CONN_MAX_AGE does under gunicorn). The app's own work,
which is what this measures, is the same.
"""

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.run import setup_django  # noqa: E402  (the path above first)

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="submission_token" value="([^"]+)"')
COUNSELOR = "bench_counselor_01"  # municipality 1: the biggest
DASHBOARD_USER = "bench_prefecture"
NATIONAL_USER = "bench_national"  # a blank prefecture code: the national scope first
PASSWORD = "bench-password"  # noqa: S105  (bench.generate.PASSWORD, the synthetic users')


@dataclass
class Page:
    name: str
    user: str
    request: Callable[[Any], Any]  # (client) -> response
    expect: int = 200
    # Run before each timed request, untimed (e.g. reading the form's tokens).
    prepare: Callable[[Any], None] | None = None


@dataclass
class Measured:
    page: str
    queries: int
    total_ms: float
    cpu_ms: float
    cpu_min_ms: float
    sql_ms: float
    bare_ms: float
    ratio: float
    calls: int
    detail: dict[str, Any] = field(default_factory=dict)


def _login(username: str) -> Any:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = CSRF_RE.search(page.content.decode())
    assert token is not None, "the login page has no CSRF token"
    response = client.post(
        "/accounts/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
    )
    if response.status_code != 302:
        raise SystemExit(f"login of {username} answered {response.status_code}")
    client.get("/")  # the first page after login renews the session (a write): not measured
    return client


def pages() -> list[Page]:
    from accounts.models import User
    from bench.run import list_pages
    from cases.models import Case

    user = User.objects.get(username=COUNSELOR)
    # The query strings `make bench` measures: open cases, page 1 and page 200 (or the last).
    first, deep = list_pages().values()
    # The newest open case is the case page measured; the POSTs go to the next one, so the
    # measured page's timeline does not grow from run to run.
    cases = list(Case.objects.in_scope(user).open().order_by("-intake_date", "-id")[:2])
    if len(cases) < 2:
        raise SystemExit(f"{COUNSELOR} has no open cases: is this a benchmark dataset?")
    case_url, record_url = (c.get_absolute_url() for c in cases)
    form: dict[str, str] = {}
    counter = itertools.count()

    def read_form(client: Any) -> None:
        body = client.get(record_url).content.decode()
        csrf = CSRF_RE.search(body)
        assert csrf is not None, "the record form has no CSRF token"
        form["csrf"] = csrf.group(1)
        token = TOKEN_RE.search(body)
        form["token"] = token.group(1) if token else ""

    def record(client: Any) -> Any:
        import datetime as dt

        return client.post(
            f"{record_url}consultations/new/",
            {
                "csrfmiddlewaretoken": form["csrf"],
                "submission_token": form["token"],
                "date": dt.date.today().isoformat(),
                "method": "phone",
                "with_whom": "family",
                "duration_minutes": "20",
                # Different every time: the same content twice is answered as a duplicate.
                "notes": f"計測用の架空の記録 {next(counter)} {time.time_ns()}",
                "next_action": "",
                "next_action_date": "",
            },
        )

    return [
        # The stack's own floor (bench/urls.py): middleware, one query, a tiny template.
        Page("floor page", COUNSELOR, lambda c: c.get("/bench/floor/")),
        Page("home", COUNSELOR, lambda c: c.get("/")),
        Page("case list p1", COUNSELOR, lambda c: c.get("/cases/", first)),
        Page(f"case list p{deep['page']}", COUNSELOR, lambda c: c.get("/cases/", deep)),
        Page("case page (record form)", COUNSELOR, lambda c: c.get(case_url)),
        Page("record consultation POST", COUNSELOR, record, expect=302, prepare=read_form),
        Page("dashboard (prefecture)", DASHBOARD_USER, lambda c: c.get("/kpi/")),
        Page("dashboard (national)", NATIONAL_USER, lambda c: c.get("/kpi/")),
    ]


def bare_sql_seconds(statements: list[str]) -> float:
    """The statements again on the raw driver cursor, in a transaction rolled back."""
    from django.db import connection, transaction

    with transaction.atomic():
        raw = connection.connection.cursor()  # psycopg's own cursor: no Django wrapper
        start = time.perf_counter()
        for sql in statements:
            raw.execute(sql.encode(), prepare=False)
            if raw.description is not None:
                raw.fetchall()
        elapsed = time.perf_counter() - start
        raw.close()
        transaction.set_rollback(True)
    return elapsed


def explain(page: str, statements: list[dict[str, Any]], slower_than_ms: float) -> None:
    """`EXPLAIN (ANALYZE, BUFFERS)` of each SELECT that took at least `slower_than_ms`, in a
    transaction rolled back: where a heavy statement's time and buffers go."""
    from django.db import connection, transaction

    slow = [
        q
        for q in statements
        if float(q["time"]) * 1000 >= slower_than_ms and q["sql"].lstrip().startswith("SELECT")
    ]
    print(f"\n===== {page}: {len(slow)} statement(s) of {slower_than_ms:g} ms or more =====")
    with transaction.atomic():
        raw = connection.connection.cursor()
        for q in slow:
            raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {q['sql']}".encode(), prepare=False)
            print(f"\n--- {float(q['time']) * 1000:.2f} ms: {q['sql'][:200]}")
            print("\n".join(row[0] for row in raw.fetchall()))
        raw.close()
        transaction.set_rollback(True)


def measure(
    page: Page,
    client: Any,
    repeat: int,
    profiler: cProfile.Profile | None,
    templates: "TemplateTimes | None" = None,
    show_queries: bool = False,
    explain_ms: float | None = None,
) -> Measured:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    totals, cpus, sqls, bares, counts = [], [], [], [], []
    for i in range(repeat + 3):
        if page.prepare is not None:
            page.prepare(client)
        warm = i >= 3
        with CaptureQueriesContext(connection) as ctx:
            if warm and profiler is not None:
                profiler.enable()
            if templates is not None:
                templates.active = warm
            start, cpu_start = time.perf_counter(), time.process_time()
            response = page.request(client)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            if templates is not None:
                templates.active = False
            if warm and profiler is not None:
                profiler.disable()
        if response.status_code != page.expect:
            raise SystemExit(f"{page.name} answered {response.status_code}, not {page.expect}")
        if not warm:
            continue
        if show_queries and i == 3:
            print(f"\n===== {page.name}: the statements of one request (ms, sql) =====")
            for q in ctx.captured_queries:
                print(f"{float(q['time']) * 1000:7.2f}  {q['sql'][:300]}")
        if explain_ms is not None and i == 3 and connection.vendor == "postgresql":
            explain(page.name, ctx.captured_queries, explain_ms)
        totals.append(elapsed)
        cpus.append(cpu)
        sqls.append(sum(float(q["time"]) for q in ctx.captured_queries))
        counts.append(len(ctx.captured_queries))
        if page.expect == 200:  # a POST's statements would insert again: timed as sent
            bares.append(bare_sql_seconds([q["sql"] for q in ctx.captured_queries]))
        else:
            bares.append(sqls[-1])
    total, cpu, sql, bare = (statistics.median(v) * 1000 for v in (totals, cpus, sqls, bares))
    calls = python_calls(page, client)
    return Measured(
        page=page.name,
        # The usual count: once a minute the session's renewal adds its UPDATE (in detail).
        queries=statistics.mode(counts),
        total_ms=round(total, 2),
        cpu_ms=round(cpu, 2),
        cpu_min_ms=round(min(cpus) * 1000, 2),
        sql_ms=round(sql, 2),
        bare_ms=round(bare, 2),
        ratio=round(total / bare, 2) if bare else 0.0,
        calls=calls,
        detail={
            "repeat": repeat,
            "query_counts": sorted(set(counts)),
            "total_p95_ms": round(sorted(totals)[int(0.95 * (len(totals) - 1))] * 1000, 2),
            "python_ms": round(total - sql, 2),
        },
    )


class TemplateTimes:
    """Inclusive time and calls per template name (`--templates`): which include, in which
    loop, costs what. Patches Template.render while the page is measured."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.active = False  # on while a measured request runs (not while preparing one)

    def __enter__(self) -> "TemplateTimes":
        from django.template.base import Template

        self._original = original = Template.render
        times, calls = self.times, self.calls

        def render(template: Any, context: Any) -> Any:
            if not self.active:
                return original(template, context)
            start = time.perf_counter()
            try:
                return original(template, context)
            finally:
                name = str(template.origin.template_name or template.name)
                times[name] = times.get(name, 0.0) + time.perf_counter() - start
                calls[name] = calls.get(name, 0) + 1

        Template.render = render  # type: ignore[method-assign,assignment]  # timing wrapper, put back in __exit__
        return self

    def __exit__(self, *exc: object) -> None:
        from django.template.base import Template

        Template.render = self._original  # type: ignore[method-assign]  # Django's own, put back

    def report(self, name: str, requests: int) -> None:
        print(f"\n===== {name}: templates, inclusive ms and calls per request =====")
        for template, seconds in sorted(self.times.items(), key=lambda kv: -kv[1])[:25]:
            calls = self.calls[template] / requests
            print(f"{seconds * 1000 / requests:9.2f} ms  {calls:7.1f}×  {template}")


def python_calls(page: Page, client: Any) -> int:
    """Python function calls in one more request: the same on a busy machine as on a quiet
    one, so a change's effect shows where the clock is too noisy to tell."""
    if page.prepare is not None:
        page.prepare(client)
    profiler = cProfile.Profile()
    profiler.enable()
    page.request(client)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]  # public in use, absent from typeshed
    return sum(calls for calls, *_ in stats.values())


def print_profile(name: str, profiler: cProfile.Profile, top: int, out_dir: Path | None) -> None:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        stream.write(f"\n===== {name}: top {top} by {order} =====\n")
        stats.sort_stats(order).print_stats(top)
    print(stream.getvalue())
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(out_dir / (re.sub(r"\W+", "_", name).strip("_") + ".prof"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--page", action="append", help="only pages whose name starts so")
    parser.add_argument("--profile", action="append", default=[], help="page name prefix, or all")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--profile-dir", type=Path)
    parser.add_argument("--queries", action="store_true", help="print each page's statements")
    parser.add_argument(
        "--templates", action="store_true", help="time spent per template (inclusive), per page"
    )
    parser.add_argument(
        "--explain",
        type=float,
        metavar="MS",
        help="EXPLAIN (ANALYZE, BUFFERS) each SELECT of a page that took MS or more",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    # The production settings with the benchmark's URLconf, which adds the floor page.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    setup_django()
    from django.conf import settings

    if settings.DEBUG:
        raise SystemExit("DEBUG is on: the numbers would not be production's")
    clients: dict[str, Any] = {}
    results = []
    for page in pages():
        if args.page and not any(page.name.startswith(p) for p in args.page):
            continue
        if page.user not in clients:
            clients[page.user] = _login(page.user)
        wanted = "all" in args.profile or any(page.name.startswith(p) for p in args.profile)
        profiler = cProfile.Profile() if wanted else None
        if args.templates:
            with TemplateTimes() as templates:
                result = measure(
                    page,
                    clients[page.user],
                    args.repeat,
                    profiler,
                    templates,
                    args.queries,
                    args.explain,
                )
            templates.report(page.name, args.repeat)
        else:
            result = measure(
                page, clients[page.user], args.repeat, profiler, None, args.queries, args.explain
            )
        results.append(result)
        if profiler is not None:
            print_profile(page.name, profiler, args.top, args.profile_dir)
    width = max(len(r.page) for r in results)
    print(
        f"{'page':<{width}}  queries  total ms  cpu ms (min)  sql ms  bare ms  total/bare"
        "  calls"
        f"   (median of {args.repeat}; DEBUG off)"
    )
    for r in results:
        print(
            f"{r.page:<{width}}  {r.queries:>7}  {r.total_ms:>8.1f}"
            f"  {r.cpu_ms:>6.1f} ({r.cpu_min_ms:>4.1f})  {r.sql_ms:>6.1f}"
            f"  {r.bare_ms:>7.1f}  {r.ratio:>10.2f}  {r.calls:>6,}"
        )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
