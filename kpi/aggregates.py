"""The KPI dashboard's maintained aggregates: counters kept in the transaction of the records.

Counting a national year of consultations (延べ件数, and 実人数: distinct persons) reads every
one of them; the dashboard instead sums a few thousand small counters (`kpi.models.Tally`),
kept exact by every service that writes a counted record. The raw recount
(`kpi.selectors`, `recount=True`) stays the reference: the closing's 再集計 stores it, and
`kpi_aggregates --check` and the tests compare the counters with it.

Design
------
A counter is (area, figure, day) → n. Areas are the four scope levels, so that every scope
reads its own rows and a distinct count never has to be added up across areas:
`all` (the nation), `p39` (a prefecture), `j12` (a jurisdiction) and `m345` (a municipality),
by the municipality of the record (the case's for consultations, K1, K3 and K4; the
meeting's for K2). Days, not months: the dashboard counts up to an as-of date inside the year,
and a year of one area is at most 365 rows per figure whatever the number of records.

- Counts (件): K1 a case on its intake date, and the same by intake route (相談経路); K3 a
  link on its connection date; meetings and supervised meetings on their date; contacts
  (延べ件数) by method and new/ongoing on the consultation's date; closes and suspensions
  (終結・中断) by end reason on the day of the status change. The period's value is the sum
  of its days.
- Distinct counts (人, 市町村): a subject (person, municipality) counts once per area and
  fiscal year, on the day of its first record of that year in that area: persons (実人数),
  new and ongoing persons, persons by method, K4 persons, K2 and supervised municipalities.
  "Distinct persons from the year's start up to the as-of date" is then the sum of the days
  up to it: a subject first seen later in the year is not in the sum yet, and one first seen
  earlier is counted once. (A period not starting on 1 April cannot be read this way; the
  selectors recount such a period.) "New" is per consultation: its case was opened in the
  consultation's fiscal year (intake on or after 1 April of it), as the recount says.

Months: every day's counter is also added to its month's, a row of the same figure in the
area `#<area>` (`#p39`) dated the month's first day. A year to a date reads the months before
the date's month and the days of that month only (`_spans`): some 40 rows per figure instead
of up to 365, whatever the date. (K2's first day per municipality, the table's first meeting,
is read from its days: one row per municipality and year.)

Maintenance: per subject, before and after. `maintain(persons=…, municipalities=…)` wraps a
write: on entry it locks the subjects' rows (SELECT … FOR UPDATE on the person or the
municipality, in id order) and computes what they contribute today from the records (one
query per part); on exit the same again, and the difference is added to the counters with
one `INSERT … ON CONFLICT (area, figure, day) DO UPDATE SET n = n + excluded.n` (PostgreSQL
and SQLite), rows in key order. Whatever the write was (a new consultation, a date moved
across 31 March, a method changed, a void, a case voided, a connection undone, a stamp
rewritten, a meeting's supervision set), the counters move by exactly what the records say,
so no arithmetic per kind of change is needed, and no write path can get its own rule wrong.
Concurrency: the subject lock serialises two writes on the same person (their before/after
would otherwise overlap); writes on different persons touch shared counters only through the
increment, which the database applies to the latest row (a row lock, no lost update). SQLite
runs write transactions one at a time (`transaction_mode` IMMEDIATE). Nested `maintain`
blocks join the outermost one (a subject is counted before the first write and after the
last), so a service may call another. A subject created inside the block (the ledger
import's bulk path) is declared with `created(persons=…)`: it had nothing before.

Parts: a consultation write only recomputes the person's consultations (`parts`), a status
change the person's status changes, a case void everything of the person. Subjects'
contributions are small (one person's records), so the extra cost of a write is four
queries: lock, before, after, upsert.

Backfill and repair: the migration creates the table empty; `manage.py kpi_aggregates
--rebuild` (run by `make migrate`, and by the benchmark's dataset build) fills it from the
records, `--check` compares it with a recount and exits non-zero on a difference (audited).
A municipality moved to another jurisdiction or prefecture needs a rebuild (its past
counters stay with the areas it was in).
"""

import datetime as dt
import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from cases.models import Case, CaseStatusChange, Consultation, Person
from core.baked import Baked, baked
from core.fiscal import fiscal_year, fiscal_year_range
from core.models import Municipality
from kpi.models import Tally, TallyBuilt
from platforms.models import CaseMeeting
from referrals.models import EmploymentOutcome, Referral

Key = tuple[str, str, dt.date]  # (area, figure, day)
NATIONAL = "all"
MONTHS = "#"  # the prefix of an area's month rows (see Months above)


class F:
    """Figure names (`Tally.figure`)."""

    K1 = "k1"  # new cases (件)
    K2 = "k2"  # municipalities with a meeting held (distinct)
    K3 = "k3"  # ibasho links (件)
    K4 = "k4"  # persons employed after intermediate employment (distinct)
    MEETINGS = "mt"
    SUPERVISED = "mts"
    SUPERVISED_MUNICIPALITIES = "k2s"  # distinct
    PERSONS = "p"  # 実人数 (distinct)
    NEW_PERSONS = "pn"
    ONGOING_PERSONS = "po"

    @staticmethod
    def contacts(method: str, new: bool) -> str:
        """延べ件数 of a method, new (n) or ongoing (o)."""
        return f"c:{method}:{'n' if new else 'o'}"

    @staticmethod
    def persons_by(method: str) -> str:
        return f"p:{method}"

    @staticmethod
    def route(route: str) -> str:
        """K1 of an intake route (Case.Route)."""
        return f"r:{route}"

    @staticmethod
    def ending(end_reason: str, to_status: str) -> str:
        """Closes (c) or suspensions (s) of an end reason ("" for none: 未分類)."""
        return f"e:{end_reason}:{'c' if to_status == Case.Status.CLOSED else 's'}"


# The parts of a person's records, and the one of a municipality's.
CONSULTATIONS = "consultations"
CASES = "cases"
REFERRALS = "referrals"
EMPLOYMENT = "employment"
MEETINGS = "meetings"
STATUSES = "statuses"
PERSON_PARTS = frozenset({CONSULTATIONS, CASES, REFERRALS, EMPLOYMENT, STATUSES})


def areas(municipality_id: int, prefecture_code: str, jurisdiction_id: int | None) -> list[str]:
    found = [NATIONAL, f"p{prefecture_code}", f"m{municipality_id}"]
    if jurisdiction_id is not None:
        found.append(f"j{jurisdiction_id}")
    return found


class _Firsts:
    """First day of a subject per (area, figure, fiscal year): the distinct counts."""

    def __init__(self) -> None:
        self.days: dict[tuple[Any, str, str, int], dt.date] = {}

    def see(
        self, subject: Any, area: str, figure: str, day: dt.date, fy: int | None = None
    ) -> None:
        """`fy`: the day's fiscal year, when the caller has it already (a hot loop)."""
        key = (subject, area, figure, fiscal_year(day) if fy is None else fy)
        if key not in self.days or day < self.days[key]:
            self.days[key] = day

    def into(self, counts: Counter[Key]) -> None:
        for (_subject, area, figure, _fy), day in self.days.items():
            counts[(area, figure, day)] += 1


def _in(path: str, ids: Iterable[int] | None) -> Q:
    return Q() if ids is None else Q(**{f"{path}__in": list(ids)})


def counted_records(part: str, ids: Iterable[int] | None = None) -> QuerySet[Any]:
    """The records a part counts (of these subjects; None: all). Voided records and the
    records of voided cases count nowhere."""
    if part == CONSULTATIONS:
        return Consultation.objects.filter(
            _in("case__person_id", ids), voided_at__isnull=True, case__voided_at__isnull=True
        )
    if part == CASES:
        return Case.objects.filter(_in("person_id", ids), voided_at__isnull=True)
    if part == STATUSES:
        return CaseStatusChange.objects.filter(
            _in("case__person_id", ids),
            to_status__in=Case.CLOSED_STATUSES,
            case__voided_at__isnull=True,
        )
    if part == REFERRALS:
        return Referral.objects.filter(
            _in("case__person_id", ids),
            counted_as_ibasho=True,
            connected_on__isnull=False,
            case__voided_at__isnull=True,
        )
    if part == EMPLOYMENT:
        return EmploymentOutcome.objects.filter(
            _in("person_id", ids),
            after_intermediate=True,
            voided_at__isnull=True,
            case__voided_at__isnull=True,
        )
    if part == MEETINGS:
        return CaseMeeting.objects.filter(_in("municipality_id", ids))
    raise ValueError(part)


_SUBJECT_ROWS: dict[tuple[str, tuple[str, ...]], Baked] = {}


def _rows(part: str, ids: Iterable[int] | None, *fields: str) -> Iterable[Any]:
    """These fields of a part's records: streamed in chunks when counting everything (a rebuild
    or a check: millions), read at once for a few subjects (a write's before and after: a
    server-side cursor there would cost three round trips for a handful of rows), through a
    baked query (core.baked: every write runs them twice; their SQL is compiled once)."""
    if ids is None:
        return counted_records(part).values_list(*fields).iterator(chunk_size=5000)
    key = (part, fields)
    query = _SUBJECT_ROWS.get(key)
    if query is None:
        query = _SUBJECT_ROWS[key] = baked(
            lambda subject_ids: counted_records(part, subject_ids).values_list(*fields)
        )
    return query(list(ids))


def _consultations(ids: Iterable[int] | None, counts: Counter[Key]) -> None:
    rows = _rows(
        CONSULTATIONS,
        ids,
        "case__person_id",
        "case__municipality_id",
        "case__municipality__prefecture_code",
        "case__municipality__jurisdiction_id",
        "date",
        "method",
        "case__intake_date",
    )
    firsts = _Firsts()
    for person, municipality, prefecture, jurisdiction, day, method, intake in rows:
        fy = fiscal_year(day)
        new = intake >= fiscal_year_range(fy)[0]
        contacts = F.contacts(method, new)
        kind = F.NEW_PERSONS if new else F.ONGOING_PERSONS
        by_method = F.persons_by(method)
        for area in areas(municipality, prefecture, jurisdiction):
            counts[(area, contacts, day)] += 1
            firsts.see(person, area, F.PERSONS, day, fy)
            firsts.see(person, area, kind, day, fy)
            firsts.see(person, area, by_method, day, fy)
    firsts.into(counts)


def _cases(ids: Iterable[int] | None, counts: Counter[Key]) -> None:
    rows = _rows(
        CASES, ids,
        "municipality_id", "municipality__prefecture_code", "municipality__jurisdiction_id",
        "intake_date", "intake_route",
    )  # fmt: skip
    for municipality, prefecture, jurisdiction, day, route in rows:
        by_route = F.route(route)
        for area in areas(municipality, prefecture, jurisdiction):
            counts[(area, F.K1, day)] += 1
            counts[(area, by_route, day)] += 1


def _statuses(ids: Iterable[int] | None, counts: Counter[Key]) -> None:
    # Every close and suspension (a case closed twice counts twice), by the case's
    # municipality.
    rows = _rows(
        STATUSES, ids,
        "case__municipality_id", "case__municipality__prefecture_code",
        "case__municipality__jurisdiction_id", "changed_on", "end_reason", "to_status",
    )  # fmt: skip
    for municipality, prefecture, jurisdiction, day, reason, status in rows:
        figure = F.ending(reason, status)
        for area in areas(municipality, prefecture, jurisdiction):
            counts[(area, figure, day)] += 1


def _referrals(ids: Iterable[int] | None, counts: Counter[Key]) -> None:
    # The referral's municipality (the case's, copied on save) and its recorded stamp.
    rows = _rows(
        REFERRALS, ids,
        "municipality_id", "municipality__prefecture_code", "municipality__jurisdiction_id",
        "connected_on",
    )  # fmt: skip
    for municipality, prefecture, jurisdiction, day in rows:
        assert day is not None  # filtered above
        for area in areas(municipality, prefecture, jurisdiction):
            counts[(area, F.K3, day)] += 1


def _employment(ids: Iterable[int] | None, counts: Counter[Key]) -> None:
    rows = _rows(
        EMPLOYMENT, ids,
        "person_id", "municipality_id", "municipality__prefecture_code",
        "municipality__jurisdiction_id", "started_on",
    )  # fmt: skip
    firsts = _Firsts()
    for person, municipality, prefecture, jurisdiction, day in rows:
        for area in areas(municipality, prefecture, jurisdiction):
            firsts.see(person, area, F.K4, day)
    firsts.into(counts)


def _meetings(ids: Iterable[int] | None, counts: Counter[Key]) -> None:
    rows = _rows(
        MEETINGS, ids,
        "municipality_id", "municipality__prefecture_code", "municipality__jurisdiction_id",
        "held_on", "supervision",
    )  # fmt: skip
    firsts = _Firsts()
    for municipality, prefecture, jurisdiction, day, supervision in rows:
        supervised = supervision != CaseMeeting.Supervision.NONE
        for area in areas(municipality, prefecture, jurisdiction):
            counts[(area, F.MEETINGS, day)] += 1
            firsts.see(municipality, area, F.K2, day)
            if supervised:
                counts[(area, F.SUPERVISED, day)] += 1
                firsts.see(municipality, area, F.SUPERVISED_MUNICIPALITIES, day)
    firsts.into(counts)


PARTS = {
    CONSULTATIONS: _consultations,
    CASES: _cases,
    REFERRALS: _referrals,
    EMPLOYMENT: _employment,
    MEETINGS: _meetings,
    STATUSES: _statuses,
}
CHUNK = 500  # subjects per query (an IN list)


def contributions(part: str, ids: Iterable[int] | None) -> Counter[Key]:
    """What the records of these subjects (persons; municipalities for MEETINGS) add to the
    counters; `ids=None`: every record."""
    counts: Counter[Key] = Counter()
    if ids is None:
        PARTS[part](None, counts)
        return counts
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        PARTS[part](ids[start : start + CHUNK], counts)
    return counts


def with_months(days: Counter[Key] | dict[Key, int]) -> Counter[Key]:
    """The day counters and the month counters they add up to."""
    counts: Counter[Key] = Counter()
    for (area, figure, day), n in days.items():
        if n:
            counts[(area, figure, day)] += n
            counts[(MONTHS + area, figure, day.replace(day=1))] += n
    return counts


def add(delta: Counter[Key] | dict[Key, int]) -> None:
    """Add to the day counters and their months (one upsert per 200 rows, in key order)."""
    rows = sorted((key, n) for key, n in with_months(delta).items() if n)
    table = connection.ops.quote_name(Tally._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 200):
            chunk = rows[start : start + 200]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for (area, figure, day), n in chunk:
                params += [area, figure, day, n]
            cursor.execute(
                f"INSERT INTO {table} (area, figure, day, n) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (area, figure, day) DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


# --- maintenance ------------------------------------------------------------------------------


@dataclass
class _Tracker:
    before: Counter[Key] = field(default_factory=Counter)
    subjects: set[tuple[str, int]] = field(default_factory=set)  # (part, id)
    locked: set[tuple[type[Any], int]] = field(default_factory=set)

    def track(self, part: str, ids: Iterable[int], *, created: bool = False) -> None:
        new = sorted({i for i in ids if i is not None and (part, i) not in self.subjects})
        if not new:
            return
        model = Municipality if part == MEETINGS else Person
        if not created:
            _lock(model, [i for i in new if (model, i) not in self.locked])
        self.locked.update((model, i) for i in new)
        self.subjects.update((part, i) for i in new)
        if not created:
            self.before.update(contributions(part, new))

    def finish(self) -> None:
        after: Counter[Key] = Counter()
        by_part: dict[str, list[int]] = {}
        for part, pk in self.subjects:
            by_part.setdefault(part, []).append(pk)
        for part, ids in by_part.items():
            after.update(contributions(part, ids))
        delta = dict(after)
        for key, n in self.before.items():
            delta[key] = delta.get(key, 0) - n
        add(delta)


_state = threading.local()


_LOCKS: dict[type[Any], Baked] = {}  # per model, the baked SELECT … FOR UPDATE of its rows


def _lock(model: type[Any], ids: Iterable[int]) -> None:
    ids = sorted({i for i in ids if i is not None})
    if ids and connection.features.has_select_for_update:
        query = _LOCKS.get(model)
        if query is None:
            query = _LOCKS[model] = baked(
                lambda pks: (
                    model.objects.select_for_update()
                    .filter(pk__in=pks)
                    .order_by("pk")
                    .values_list("pk")
                )
            )
        query(ids)


@contextmanager
def maintain(
    *,
    persons: Iterable[int] = (),
    municipalities: Iterable[int] = (),
    parts: Iterable[str] = PERSON_PARTS,
) -> Iterator[None]:
    """Keep the counters of these persons' records (and municipalities' meetings) exact
    across the writes inside the block (see the module docstring). Opens a transaction (a
    savepoint inside one); `track` adds subjects found inside the block."""
    with transaction.atomic():
        tracker: _Tracker | None = getattr(_state, "tracker", None)
        outer = tracker is None
        if tracker is None:
            tracker = _state.tracker = _Tracker()
        try:
            track(persons=persons, municipalities=municipalities, parts=parts)
            yield
            if outer:
                tracker.finish()
        finally:
            if outer:
                _state.tracker = None


def maintained[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """A service whose writes `track` their subjects before writing: the whole call is one
    `maintain` block."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with maintain():
            return fn(*args, **kwargs)

    return wrapper


def _tracker() -> _Tracker:
    tracker: _Tracker | None = getattr(_state, "tracker", None)
    if tracker is None:
        raise RuntimeError("kpi.aggregates: track() outside a maintain() block")
    return tracker


def track(
    *,
    persons: Iterable[int] = (),
    municipalities: Iterable[int] = (),
    parts: Iterable[str] = PERSON_PARTS,
) -> None:
    """Before writing: lock these subjects and remember what they count now."""
    tracker = _tracker()
    persons, municipalities = list(persons), list(municipalities)
    for part in parts:
        tracker.track(part, persons)
    if municipalities:
        tracker.track(MEETINGS, municipalities)


def created(*, persons: Iterable[int]) -> None:
    """Persons created inside the current `maintain` block: they had no records before."""
    tracker = _tracker()
    ids = list(persons)
    for part in PERSON_PARTS:
        tracker.track(part, ids, created=True)


def persons_of_case(case: Any) -> list[int]:
    """The persons whose counters a write on the case moves: the case's, and any other
    person its employment outcomes name."""
    outcome_persons = EmploymentOutcome.objects.filter(case=case).values_list(
        "person_id", flat=True
    )
    return sorted({case.person_id, *outcome_persons})


# --- rebuild and check ------------------------------------------------------------------------


def expected() -> Counter[Key]:
    """Every counter as the records say today (the recount, in counter form)."""
    counts: Counter[Key] = Counter()
    for part in PARTS:
        counts.update(contributions(part, None))
    return with_months(counts)


def stored() -> Counter[Key]:
    counts: Counter[Key] = Counter()
    for area, figure, day, n in Tally.objects.exclude(n=0).values_list(
        "area", "figure", "day", "n"
    ):
        counts[(area, figure, day)] += n
    return counts


def differences() -> list[tuple[Key, int, int]]:
    """(key, stored, recounted) for every counter that differs."""
    have, want = stored(), expected()
    return sorted(
        (key, have.get(key, 0), want.get(key, 0))
        for key in set(have) | set(want)
        if have.get(key, 0) != want.get(key, 0)
    )


@transaction.atomic
def rebuild(parts: Iterable[str] | None = None) -> int:
    """Recount every counter from the records, or only those of some parts (their figures,
    `PART_FIGURES`: a part added to an installation that has the others); returns the
    number of rows written.

    On PostgreSQL with `INSERT … SELECT` (`REBUILD_SQL`: the benchmark's millions of rows;
    the tests check it against `expected`), elsewhere from `expected`."""
    _lock_table()
    chosen = list(PARTS) if parts is None else sorted(set(parts))
    whole = set(chosen) == set(PARTS)
    if whole:
        Tally.objects.all().delete()
    else:
        Tally.objects.filter(_figures_of(chosen)).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A maintenance statement over every record: not bound by the pages' limit.
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.execute("SET LOCAL work_mem = '256MB'")  # the groupings stay in memory
            if whole:  # one index build after the rows rather than millions of insertions
                cursor.execute(f"ALTER TABLE {Tally._meta.db_table} DROP CONSTRAINT kpi_tally_key")
            for part in chosen:
                for sql in REBUILD_SQL[part]:
                    cursor.execute(sql)
            _insert_months(cursor, None if whole else chosen)
            if whole:
                cursor.execute(
                    f"ALTER TABLE {Tally._meta.db_table} "
                    "ADD CONSTRAINT kpi_tally_key UNIQUE (area, figure, day)"
                )
        written = Tally.objects.filter(_figures_of(chosen)).count()
    else:
        counts: Counter[Key] = Counter()
        for part in chosen:
            counts.update(contributions(part, None))
        written = _insert_rows(with_months(counts))
    # A whole rebuild also added up every month; a part's, only its own figures' months.
    _mark_built([*(_part_built(part) for part in chosen), *([MONTHS_BUILT] if whole else [])])
    return written


def _insert_rows(counts: Counter[Key]) -> int:
    """Write `counts` (no zero rows) as new counter rows: one executemany of plain tuples (the
    ORM's bulk_create spends ~5× as long building model instances and SQL for the demo's
    ~80,000 rows: make seed, the tests' demo seeds)."""
    rows = [
        (area, figure, connection.ops.adapt_datefield_value(day), n)
        for (area, figure, day), n in sorted(counts.items())
        if n
    ]
    table = connection.ops.quote_name(Tally._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (area, figure, day, n) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows,
        )
    return len(rows)


def _insert_months(cursor: Any, parts: list[str] | None) -> None:
    """The month rows of the day rows (of these parts' figures; None: all), on PostgreSQL."""
    where = ""
    params: list[str] = []
    if parts is not None:
        tests = []
        for part in parts:
            for pattern in PART_FIGURES[part]:
                tests.append("figure LIKE %s" if pattern.endswith("%") else "figure = %s")
                params.append(pattern)
        where = f"AND ({' OR '.join(tests)})"
    table = Tally._meta.db_table
    cursor.execute(
        f"INSERT INTO {table} (area, figure, day, n) "  # noqa: S608  (names and patterns ours)
        f"SELECT %s || area, figure, date_trunc('month', day)::date, sum(n) FROM {table} "
        f"WHERE area NOT LIKE %s {where} GROUP BY 1, 2, 3 HAVING sum(n) <> 0",
        [MONTHS, MONTHS + "%", *params],
    )


MONTHS_BUILT = "months"


def _part_built(part: str) -> str:
    return f"part:{part}"


def _mark_built(names: Iterable[str]) -> None:
    """Record that these were counted from the records (`TallyBuilt`), in the rebuild's
    transaction."""
    for name in names:
        TallyBuilt.objects.get_or_create(name=name)


def _built() -> set[str]:
    return set(TallyBuilt.objects.values_list("name", flat=True))


def months_missing() -> bool:
    """The month counters were never added up from the days (counted before they were kept).
    Asked of `TallyBuilt`, not of the month rows: a write served before the backfill adds
    its own month rows, which say nothing of the days counted earlier."""
    return MONTHS_BUILT not in _built()


@transaction.atomic
def rebuild_months() -> int:
    """Write the month counters of the day counters there are (after `months_missing`)."""
    _lock_table()
    Tally.objects.filter(area__startswith=MONTHS).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            _insert_months(cursor, None)
    else:
        days = Counter(
            {(a, f, d): n for a, f, d, n in Tally.objects.values_list("area", "figure", "day", "n")}
        )
        _insert_rows(with_months(days) - days)
    _mark_built([MONTHS_BUILT])
    return Tally.objects.filter(area__startswith=MONTHS).count()


def _figures_of(parts: Iterable[str]) -> Q:
    which = Q(pk__in=[])
    for part in parts:
        for pattern in PART_FIGURES[part]:
            which |= (
                Q(figure__startswith=pattern[:-1]) if pattern.endswith("%") else Q(figure=pattern)
            )
    return which


def missing_parts() -> list[str]:
    """Parts never counted from the records on this installation (no `TallyBuilt` row):
    parts added after it was counted (`kpi_aggregates --rebuild-if-empty`, run by `make
    migrate`, rebuilds just those). A write served before that backfill only added its own
    delta, so the rows a part has say nothing; the mark does."""
    built = _built()
    return [part for part in PARTS if _part_built(part) not in built]


# The same counters in SQL (PostgreSQL). AREAS: the four areas of a municipality `m`.
_SQL_PARTS = {
    "insert": "INSERT INTO kpi_tally (area, figure, day, n)",
    "areas": """CROSS JOIN LATERAL (VALUES ('all'), ('p' || m.prefecture_code),
        ('j' || m.jurisdiction_id), ('m' || m.id)) AS a(area)""",
    "fy_x": "EXTRACT(YEAR FROM x.date - INTERVAL '3 months')::int",
    "fy_o": "EXTRACT(YEAR FROM o.started_on - INTERVAL '3 months')::int",
    "fy_mt": "EXTRACT(YEAR FROM mt.held_on - INTERVAL '3 months')::int",
    "new": "c.intake_date >= make_date(EXTRACT(YEAR FROM x.date - INTERVAL '3 months')::int, 4, 1)",
    "consultations": """FROM cases_consultation x JOIN cases_case c ON c.id = x.case_id
        JOIN core_municipality m ON m.id = c.municipality_id""",
    "live": "x.voided_at IS NULL AND c.voided_at IS NULL",
    "closed": f"'{Case.Status.CLOSED}'",
    "suspended": f"'{Case.Status.SUSPENDED}'",
}
# Per part: its statements ({…}: `_SQL_PARTS`).
_REBUILD_SQL: dict[str, list[str]] = {
    CONSULTATIONS: [
        # 延べ件数 by method, new or ongoing
        """{insert} SELECT a.area, 'c:' || x.method || CASE WHEN {new} THEN ':n' ELSE ':o' END,
                x.date, count(*) {consultations} {areas}
            WHERE {live} AND a.area IS NOT NULL GROUP BY 1, 2, 3""",
        # 実人数: a person's first day per municipality and year, then per area (the earliest
        # of its municipalities'), counted on that day.
        """CREATE TEMPORARY TABLE kpi_first_contacts ON COMMIT DROP AS
            SELECT c.person_id, c.municipality_id, k.figure, {fy_x} AS fy, min(x.date) AS first
            {consultations} CROSS JOIN LATERAL (VALUES ('p'),
                (CASE WHEN {new} THEN 'pn' ELSE 'po' END), ('p:' || x.method)) AS k(figure)
            WHERE {live} GROUP BY 1, 2, 3, 4""",
        "ANALYZE kpi_first_contacts",
        """{insert} SELECT area, figure, first, count(*) FROM (
                SELECT f.person_id, a.area, f.figure, f.fy, min(f.first) AS first
                FROM kpi_first_contacts f JOIN core_municipality m ON m.id = f.municipality_id
                {areas} WHERE a.area IS NOT NULL GROUP BY 1, 2, 3, 4) AS firsts
            GROUP BY 1, 2, 3""",
        "DROP TABLE kpi_first_contacts",
    ],
    CASES: [
        # K1, and K1 by intake route
        """{insert} SELECT a.area, k.figure, c.intake_date, count(*)
            FROM cases_case c JOIN core_municipality m ON m.id = c.municipality_id {areas}
            CROSS JOIN LATERAL (VALUES ('k1'), ('r:' || c.intake_route)) AS k(figure)
            WHERE c.voided_at IS NULL AND a.area IS NOT NULL GROUP BY 1, 2, 3""",
    ],
    STATUSES: [
        # closes and suspensions by end reason
        """{insert} SELECT a.area,
                'e:' || s.end_reason || CASE WHEN s.to_status = {closed} THEN ':c' ELSE ':s' END,
                s.changed_on, count(*)
            FROM cases_casestatuschange s JOIN cases_case c ON c.id = s.case_id
            JOIN core_municipality m ON m.id = c.municipality_id {areas}
            WHERE s.to_status IN ({closed}, {suspended}) AND c.voided_at IS NULL
                AND a.area IS NOT NULL
            GROUP BY 1, 2, 3""",
    ],
    REFERRALS: [
        # K3: the referral's municipality and its recorded stamp
        """{insert} SELECT a.area, 'k3', r.connected_on, count(*)
            FROM referrals_referral r JOIN cases_case c ON c.id = r.case_id
            JOIN core_municipality m ON m.id = r.municipality_id {areas}
            WHERE r.counted_as_ibasho AND r.connected_on IS NOT NULL AND c.voided_at IS NULL
                AND a.area IS NOT NULL
            GROUP BY 1, 3""",
    ],
    EMPLOYMENT: [
        # K4: a person's first counted job of the year per area
        """{insert} SELECT area, 'k4', first, count(*) FROM (
                SELECT o.person_id, a.area, {fy_o}, min(o.started_on) AS first
                FROM referrals_employmentoutcome o JOIN cases_case c ON c.id = o.case_id
                JOIN core_municipality m ON m.id = o.municipality_id {areas}
                WHERE o.after_intermediate AND o.voided_at IS NULL AND c.voided_at IS NULL
                    AND a.area IS NOT NULL
                GROUP BY 1, 2, 3) AS firsts
            GROUP BY 1, 3""",
    ],
    MEETINGS: [
        # meetings, supervised meetings
        """{insert} SELECT a.area, k.figure, mt.held_on, count(*)
            FROM platforms_casemeeting mt JOIN core_municipality m ON m.id = mt.municipality_id
            {areas} CROSS JOIN LATERAL (VALUES ('mt'),
                (CASE WHEN mt.supervision <> 'none' THEN 'mts' END)) AS k(figure)
            WHERE a.area IS NOT NULL AND k.figure IS NOT NULL GROUP BY 1, 2, 3""",
        # K2 and the supervised municipalities: a municipality's first meeting of the year
        """{insert} SELECT area, figure, first, count(*) FROM (
                SELECT mt.municipality_id, a.area, k.figure, {fy_mt}, min(mt.held_on) AS first
                FROM platforms_casemeeting mt JOIN core_municipality m ON m.id = mt.municipality_id
                {areas} CROSS JOIN LATERAL (VALUES ('k2'),
                    (CASE WHEN mt.supervision <> 'none' THEN 'k2s' END)) AS k(figure)
                WHERE a.area IS NOT NULL AND k.figure IS NOT NULL GROUP BY 1, 2, 3, 4) AS firsts
            GROUP BY 1, 2, 3""",
    ],
}
REBUILD_SQL = {
    part: [sql.format(**_SQL_PARTS) for sql in sqls] for part, sqls in _REBUILD_SQL.items()
}
# The figures each part writes: what rebuilding one part deletes first (LIKE patterns).
PART_FIGURES: dict[str, list[str]] = {
    CONSULTATIONS: ["c:%", "p:%", F.PERSONS, F.NEW_PERSONS, F.ONGOING_PERSONS],
    CASES: [F.K1, "r:%"],
    STATUSES: ["e:%"],
    REFERRALS: [F.K3],
    EMPLOYMENT: [F.K4],
    MEETINGS: [F.MEETINGS, F.SUPERVISED, F.K2, F.SUPERVISED_MUNICIPALITIES],
}


def _lock_table() -> None:
    """Writers wait while the counters are rebuilt (PostgreSQL; SQLite has one writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Tally._meta.db_table} IN EXCLUSIVE MODE")


def is_empty() -> bool:
    return not Tally.objects.exists()


# --- reading ----------------------------------------------------------------------------------


def scope_area(scope: Any) -> str:
    """The area of a `kpi.scopes.Scope`."""
    if scope.municipality is not None:
        return f"m{scope.municipality.pk}"
    if scope.jurisdiction is not None:
        return f"j{scope.jurisdiction.pk}"
    if not scope.prefecture_code:
        return NATIONAL
    return f"p{scope.prefecture_code}"


def _pieces(start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The rows whose sum is each figure's total of [start, end] (`start` the first day of a
    month), as (area prefix, first day, last day): the month rows of the whole months, the
    day rows of the rest. None when `end` is before `start`."""
    if end < start:
        return []
    last_month = end.replace(day=1)
    if (end + dt.timedelta(days=1)).day == 1:  # the month ends on `end`: count it whole
        last_month = end + dt.timedelta(days=1)
    pieces = []
    if last_month > start:
        pieces.append((MONTHS, start, last_month - dt.timedelta(days=1)))
    if last_month <= end:
        pieces.append(("", last_month, end))
    return pieces


# The dashboard's reads of the aggregates, baked (core.baked) per shape: which pieces of
# month and day rows each period has, and whether it names its figures.
_Shape = tuple[tuple[str, bool], ...]
_MONTHLY: dict[_Shape, Baked] = {}
_BY_AREA: dict[_Shape, Baked] = {}


def _which(shape: _Shape, args: tuple[Any, ...]) -> Q:
    """The rows of a shape's pieces: for each, its areas, first and last day and, if the
    piece names them, its figures (in `args`, in that order)."""
    which = Q(pk__in=[])
    position = 0
    for _prefix, names_figures in shape:
        areas, first, last = args[position : position + 3]
        piece = Q(area__in=areas, day__range=(first, last))
        position += 3
        if names_figures:
            piece &= Q(figure__in=args[position])
            position += 1
        which |= piece
    return which


def monthly(
    area: str, spans: list[tuple[dt.date, dt.date, list[str] | None]]
) -> dict[str, dict[dt.date, int]]:
    """{figure: {first day of month: n}} of one area for periods each starting on a month's
    first day, (start, end, figures or None for all): one query."""
    shape: list[tuple[str, bool]] = []
    args: list[Any] = []
    for start, end, figures in spans:
        if figures is not None and not figures:
            continue  # no figure asked for: no rows
        for prefix, first, last in _pieces(start, end):
            shape.append((prefix, figures is not None))
            args += [[prefix + area], first, last, *([figures] if figures is not None else [])]
    key = tuple(shape)
    query = _MONTHLY.get(key)
    if query is None:
        query = _MONTHLY[key] = baked(
            lambda *args: (
                Tally.objects.filter(_which(key, args))
                .exclude(n=0)
                .annotate(month=TruncMonth("day"))
                .order_by()
                .values_list("figure", "month")
                .annotate(total=Sum("n"))
            )
        )
    found: dict[str, dict[dt.date, int]] = {}
    for figure, month, total in query(*args):
        day = month.date() if isinstance(month, dt.datetime) else month
        found.setdefault(figure, {})[day] = found.get(figure, {}).get(day, 0) + total
    return found


_FIRST_DAY = baked(
    lambda area, figure: (
        Tally.objects.filter(area=area, figure=figure)
        .exclude(n=0)
        .order_by("day")
        .values_list("day", flat=True)[:1]
    )
)


def first_day(area: str, figure: str) -> dt.date | None:
    """The first day of the first month the area counted the figure in (one query: the
    first of its month rows)."""
    day: dt.date | None = _FIRST_DAY.first(MONTHS + area, figure)
    return day


def by_area(
    names: list[str], figures: list[str], start: dt.date, end: dt.date, *, first: str
) -> dict[str, dict[str, tuple[int, dt.date | None]]]:
    """{area: {figure: (n, first day)}} for the areas of a table (one query). The first day
    is that of the figure `first` (a distinct count, one row per subject: K2 gives each
    municipality's first meeting), read from its day rows; the others' is None."""
    sums = [f for f in figures if f != first]
    pieces = _pieces(start, end) if sums else []  # (only `first`: its day rows alone)
    key = tuple((prefix, True) for prefix, _first, _last in pieces)
    args: list[Any] = []
    for prefix, day_from, day_to in pieces:
        args += [[prefix + name for name in names], day_from, day_to, sums]
    query = _BY_AREA.get(key)
    if query is None:
        query = _BY_AREA[key] = baked(
            lambda *args: (
                Tally.objects.filter(
                    _which(key, args[:-4])
                    | Q(area__in=args[-4], figure=args[-3], day__range=(args[-2], args[-1]))
                )
                .exclude(n=0)
                .order_by()
                .values_list("area", "figure")
                .annotate(total=Sum("n"), first=Min("day"))
            )
        )
    rows = query(*args, names, first, start, end)
    found: dict[str, dict[str, tuple[int, dt.date | None]]] = {}
    for name, figure, total, day in rows:
        name = name.removeprefix(MONTHS)
        n, _day = found.setdefault(name, {}).get(figure, (0, None))
        found[name][figure] = (n + total, day if figure == first else None)
    return found
