"""The benchmark's page-cache warm-up (bench.run.warm_cache) reads every relation whatever
the app's statement timeout: from a cold disk it takes longer than the 15 s the app allows a
statement, which had cut it short and left the measurements on a cold disk."""

import pytest
from django.db import connection

from bench.run import warm_cache

pytestmark = pytest.mark.django_db(transaction=True)  # warm_cache commits its own


def test_the_warm_up_is_not_cut_short_by_the_statement_timeout():
    if connection.vendor != "postgresql":
        pytest.skip("pg_prewarm: PostgreSQL")
    with connection.cursor() as cur:
        cur.execute("SET statement_timeout = 1")  # 1 ms: no read of every relation fits
    try:
        said: list[str] = []
        result = warm_cache(log=said.append)
        with connection.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == "1ms"  # the session's own limit is back
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET statement_timeout")
    assert result["warmed"], said
    assert result["relations"] > 10
