"""The suite-wide recount check (tests/conftest.py): after a test, the dashboard's maintained
aggregates (kpi.aggregates) equal a recount of the records.

`kpi.aggregates.differences()` is a function of the rows of the tables it reads and nothing
else, so while no statement has written to one of those tables its answer cannot change: a
recount is needed only after a write. `CountedWrites` is an execute wrapper on every database
connection of the session (the live server's and other threads' included) that notes any
statement other than a SELECT naming one of those tables (INSERT, UPDATE, DELETE, TRUNCATE,
… whichever way it was written); `after_test` recounts only when one ran since the last
recount that found no difference. The tables are not listed by hand: they are the ones
`differences()` itself queries, read from its SQL when the session starts.
"""

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext


def tables_read_by_differences() -> frozenset[str]:
    """The tables whose rows `differences()` reads (from the SQL it runs)."""
    from kpi import aggregates

    with CaptureQueriesContext(connection) as queries:
        aggregates.differences()
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    named = set(re.findall(r"\w+", sql))
    return frozenset(name for name in connection.introspection.table_names() if name in named)


class CountedWrites:
    """Notes writes to the counted tables; `after_test` recounts only after one."""

    def __init__(self, tables: Iterable[str]) -> None:
        self.tables = frozenset(tables)
        self.names = re.compile(
            r"\b(?:" + "|".join(map(re.escape, sorted(self.tables))) + r")\b", re.IGNORECASE
        )
        # Nothing recounted yet: the first test of the session recounts.
        self.written = True
        self.recounts = 0

    def writes(self, sql: str) -> bool:
        """A statement that may change a counted table's rows: anything but a SELECT
        (SELECT … FOR UPDATE included) that names one."""
        return not sql.lstrip().upper().startswith("SELECT") and bool(self.names.search(sql))

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if not self.written and self.writes(sql):
            self.written = True
        return execute(sql, params, many, context)

    def install(self) -> None:
        """On this thread's connections now, and on every connection opened from now on
        (other threads', reconnections)."""
        for conn in connections.all():
            self._install(conn)
        connection_created.connect(
            self._created, weak=False, dispatch_uid=("tests-counted-writes", id(self))
        )

    def uninstall(self) -> None:
        connection_created.disconnect(dispatch_uid=("tests-counted-writes", id(self)))
        for conn in connections.all():
            if self in conn.execute_wrappers:
                conn.execute_wrappers.remove(self)

    def _created(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        self._install(connection)

    def _install(self, conn: Any) -> None:
        if self not in conn.execute_wrappers:
            # First in the list: execute_wrapper() blocks push and pop at its end.
            conn.execute_wrappers.insert(0, self)

    def after_test(self, *, unchecked: bool = False) -> list[Any] | None:
        """The recount's differences, or None when there was nothing to recount (no write
        since the last clean recount) or the test is `aggregates_unchecked` (its writes
        stay noted: the next test recounts)."""
        if unchecked or not self.written:
            return None
        from kpi import aggregates

        self.recounts += 1
        # Cleared first: a write another thread makes during the recount is noted again.
        self.written = False
        found = aggregates.differences()
        if found:
            self.written = True
        return found
