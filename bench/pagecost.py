"""Each daily page against its own SQL run bare (`make bench`, part `pages`).

For home, the case list (page 1 and a deep page of the biggest municipality's open cases),
a case page and recording a consultation: the page through Django's test client (the whole
middleware stack, the view, the template; no HTTP server), and the very statements that
request ran (captured with CaptureQueriesContext, literals included) re-run through a cursor
with nothing else: the time a page could not go below with the same queries. Median of N
each; the ratio's goal is 2×. Every run, bare or not, writes inside a transaction that is
rolled back where the page writes (the consultation, the access audit rows).
"""

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.run import GOALS, Result, _ms, list_pages


class _Rollback(Exception):
    pass


def bare_sql(statements: list[str]) -> Callable[[], None]:
    from django.db import connection, transaction

    def run() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
                raise _Rollback
        except _Rollback:
            pass

    return run


def _median(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def daily_pages(client: Any, user: Any) -> dict[str, Callable[[], Any]]:
    from django.urls import reverse

    from cases.models import Case

    case = Case.objects.in_scope(user).open().order_by("-intake_date", "-pk").first()
    if case is None:
        raise RuntimeError(f"{user} has no open case to measure")
    url = case.get_absolute_url()
    pages: dict[str, Callable[[], Any]] = {"home": lambda: client.get(reverse("home"))}
    for label, params in list_pages().items():
        pages[f"case list, {label} (page {params['page']})"] = lambda params=params: client.get(
            reverse("cases:list"), params
        )
    pages["case page"] = lambda: client.get(url)
    record = {
        "date": dt.date.today().isoformat(),
        "method": "phone",
        "with_whom": "family",
        "duration_minutes": "20",
        "notes": "負荷試験の架空の記録",
    }
    pages["record a consultation"] = lambda: client.post(
        reverse("cases:consultation_create", args=[case.pk]), record
    )
    return pages


def measure_page_cost(repeat: int) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    user = User.objects.get(username="bench_counselor_01")
    client = Client()
    client.force_login(user)
    results = []
    for label, request in daily_pages(client, user).items():

        def checked(request: Callable[[], Any] = request, label: str = label) -> None:
            response = request()
            if response.status_code not in (200, 302):
                raise RuntimeError(f"{label} answered {response.status_code}")

        checked()  # warm: templates compiled, connection open, session renewed
        with CaptureQueriesContext(connection) as captured:
            checked()
        statements = [q["sql"] for q in captured.captured_queries]
        page = _median(checked, repeat)
        floor = _median(bare_sql(statements), repeat)
        ratio = page / floor if floor else None
        results.append(
            Result(
                name=f"page cost: {label}",
                value=_ms(page),
                unit="ms",
                goal=f"≤ {GOALS['page_sql_ratio']:.0f}× its own SQL run bare",
                ratio=round(ratio, 2) if ratio else None,
                passed=ratio is not None and ratio <= GOALS["page_sql_ratio"],
                detail={
                    "value_is": f"median of {repeat} requests through Django's test client",
                    "page_ms_median": _ms(page),
                    "sql_ms_median": _ms(floor),
                    "queries": len(statements),
                    "user": user.username,
                    "ratio_means": "page ÷ the same statements re-run through a cursor",
                },
            )
        )
    return results
