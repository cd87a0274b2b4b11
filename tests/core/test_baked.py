"""core.baked: a queryset's SQL compiled once, its values filled in per call, and the rows
exactly those of the queryset."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.baked import Baked, BakingError, attach, baked
from core.models import Jurisdiction, Municipality

pytestmark = pytest.mark.django_db


class Counting:
    """A builder that counts how often it is built."""

    def __init__(self, build):
        self.build = build
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.build(*args)


def in_another_thread(work):
    """`work()` run in a thread of its own (its own database connection): what it returned,
    or the exception it raised."""
    import threading

    from django.db import connections

    found: list[object] = []

    def run() -> None:
        try:
            found.append(work())
        except BaseException as exc:  # the caller's assertion shows it
            found.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return found[0]


def test_rows_equal_the_querysets_and_the_sql_is_built_once(kochi, settings):
    settings.BAKED_QUERIES_CHECK = False  # the check builds the queryset each call
    builder = Counting(
        lambda code: Municipality.objects.filter(code=code).select_related("jurisdiction")
    )
    query = Baked(builder)
    codes = list(Municipality.objects.values_list("code", flat=True)[:3])
    assert len(codes) == 3
    for code in codes:
        expected = list(Municipality.objects.filter(code=code).select_related("jurisdiction"))
        with CaptureQueriesContext(connection) as captured:
            rows = query(code)
            # select_related came along: reading the jurisdiction sends no query.
            jurisdictions = [row.jurisdiction for row in rows]
        assert len(captured) == 1
        assert rows == expected
        assert jurisdictions == [row.jurisdiction for row in expected]
        assert [r.name for r in rows] == [r.name for r in expected]
    # Baked once, with two sets of markers that must agree: never built again for the shape.
    assert builder.calls == 2


def test_a_list_argument_compiles_once_per_length(kochi, settings):
    settings.BAKED_QUERIES_CHECK = False
    builder = Counting(
        lambda ids: Municipality.objects.filter(pk__in=ids).values_list("pk", flat=True)
    )
    query = baked(builder)
    ids = list(Municipality.objects.values_list("pk", flat=True))
    assert query(ids[:2]) == sorted(ids[:2], key=lambda i: ids.index(i))
    assert query(ids[2:4]) == ids[2:4]
    per_shape = builder.calls  # large markers, small ones (int arguments), a second set
    assert per_shape == 3
    assert query(ids[:3]) == ids[:3]
    assert builder.calls == 2 * per_shape
    # Repeats are dropped, as `__in` drops them: the same shape as two ids.
    assert query([ids[0], ids[0], ids[1]]) == ids[:2]
    assert builder.calls == 2 * per_shape
    with CaptureQueriesContext(connection) as captured:
        assert query([]) == []
    assert len(captured) == 0  # `__in` an empty list: Django sends nothing, nor do we
    # ... even beside other arguments (no scope, a case id: an audited 404, not an error).
    scoped = baked(lambda ids, pk: Municipality.objects.filter(pk__in=ids, pk=pk))
    assert scoped([], ids[0]) == []
    assert scoped([ids[0]], ids[0]) == [Municipality.objects.get(pk=ids[0])]


def test_prefetch_and_attach(kochi):
    query = baked(
        lambda code: Jurisdiction.objects.filter(prefecture_code=code).prefetch_related(
            Prefetch("municipalities", queryset=Municipality.objects.order_by("code"))
        )
    )
    rows = query("39")
    assert rows
    with CaptureQueriesContext(connection) as captured:
        names = [[m.code for m in j.municipalities.all()] for j in rows]
    assert len(captured) == 0
    expected = [
        list(j.municipalities.order_by("code").values_list("code", flat=True))
        for j in Jurisdiction.objects.filter(prefecture_code="39")
    ]
    assert names == expected
    marker = object()
    assert all(row.parent is marker for row in attach(rows, parent=marker))


def test_first_gives_one_row_or_none(kochi):
    query = baked(lambda code: Municipality.objects.filter(code=code).order_by("pk")[:1])
    first = Municipality.objects.order_by("code").first()
    assert query.first(first.code) == first
    assert query.first("no-such-code") is None


def test_an_argument_that_is_not_a_parameter_is_refused(kochi):
    sliced = baked(lambda n: Municipality.objects.all()[:n])
    with pytest.raises(BakingError, match="do not reach"):
        sliced(3)
    for value in (True, 1.5, None, dt.datetime(2026, 4, 1, tzinfo=dt.UTC)):
        with pytest.raises(BakingError, match="int, str or date"):
            baked(lambda v: Municipality.objects.filter(pk=v))(value)


def test_the_check_catches_a_builder_that_reads_more_than_its_arguments(kochi, settings):
    settings.BAKED_QUERIES_CHECK = True
    state = {"code": "39"}
    # Wrong: the prefecture comes from outside the arguments, so the first call freezes it.
    query = baked(lambda pk: Municipality.objects.filter(pk=pk, prefecture_code=state["code"]))
    some = Municipality.objects.first()
    assert query(some.pk) == [some]
    state["code"] = "13"
    with pytest.raises(AssertionError, match="differs from its queryset"):
        query(some.pk)


def test_the_language_is_part_of_the_shape(kochi, settings):
    settings.BAKED_QUERIES_CHECK = False
    builder = Counting(
        lambda code: (
            Municipality.objects.filter(prefecture_code=code)
            .order_by("name_en" if translation.get_language() == "en" else "name_ja")
            .values_list("pk", flat=True)
        )
    )
    query = baked(builder)
    with translation.override("ja"):
        ja = query("39")
    with translation.override("en"):
        en = query("39")
    assert builder.calls == 2 * 2  # each language its shape (two sets of markers each)
    assert ja == list(
        Municipality.objects.filter(prefecture_code="39")
        .order_by("name_ja")
        .values_list("pk", flat=True)
    )
    assert en == list(
        Municipality.objects.filter(prefecture_code="39")
        .order_by("name_en")
        .values_list("pk", flat=True)
    )


def test_a_query_baked_in_one_thread_runs_on_another_threads_connection(kochi):
    """Django's connections are per thread (gthread workers, the tests' concurrent saves)."""
    query = baked(lambda code: Municipality.objects.filter(code=code))
    code = Municipality.objects.values_list("code", flat=True).first()
    assert query(code)  # baked here
    found = in_another_thread(
        lambda: (query(code), list(Municipality.objects.filter(code=code)))  # same rows there
    )
    assert isinstance(found, tuple), found
    baked_rows, plain_rows = found
    assert baked_rows == plain_rows


def test_date_arguments_on_either_backend(kochi):
    """PostgreSQL takes a date parameter as it is, SQLite as its text: both are filled in."""
    from cases.models import Case
    from tests.factories import CaseFactory

    for day in (dt.date(2024, 3, 31), dt.date(2024, 4, 1), dt.date(2024, 4, 2)):
        CaseFactory(intake_date=day)
    query = baked(
        lambda since, until: (
            Case.objects.filter(intake_date__range=(since, until))
            .order_by("intake_date")
            .values_list("intake_date", flat=True)
        )
    )
    assert query(dt.date(2024, 3, 31), dt.date(2024, 4, 1)) == [
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 1),
    ]
    assert query(dt.date(2024, 4, 2), dt.date(2024, 4, 30)) == [dt.date(2024, 4, 2)]


def test_converters_are_worked_out_once_per_connection(kochi, monkeypatch):
    """The selected columns' converters (dates on SQLite, a model's field types) are Django's
    own, worked out on the first run on a connection and reused after: the rows still come
    out converted."""

    from django.db.models.sql.compiler import SQLCompiler

    from cases.models import Case
    from tests.factories import CaseFactory

    CaseFactory(intake_date=dt.date(2024, 4, 1))
    worked_out: list[str] = []
    real = SQLCompiler.get_converters

    def counting(self, expressions):
        worked_out.append(self.connection.alias)
        return real(self, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", counting)
    dates = baked(lambda pk: Case.objects.filter(pk__gte=pk).values_list("intake_date", flat=True))
    for _ in range(3):
        assert dates(0) == [dt.date(2024, 4, 1)]
    assert len(worked_out) == 1

    # Another thread's connection works them out for itself.
    codes = baked(lambda pk: Municipality.objects.filter(pk__gte=pk).values_list("code"))
    expected = codes(0)
    assert len(worked_out) == 2
    assert in_another_thread(lambda: codes(0) == codes(0) == expected) is True
    assert len(worked_out) == 3


def test_totals_give_what_aggregate_gives(kochi):
    from django.db.models import Count, Max

    from core.baked import totals

    # `code` is also a field's name (which `.values()` alone would refuse), and Jurisdiction
    # is ordered by its Meta (which an aggregate must not group by).
    query = baked(
        lambda code: totals(
            Jurisdiction.objects.filter(prefecture_code=code),
            n=Count("*"),
            prefecture_code=Max("prefecture_code"),
            latest=Max("name_ja"),
        )
    )
    for code in ("39", "99"):
        expected = Jurisdiction.objects.filter(prefecture_code=code).aggregate(
            n=Count("*"), prefecture_code=Max("prefecture_code"), latest=Max("name_ja")
        )
        assert query.one(code) == expected
    assert query.one("39")["n"] > 0
    # No query to run (an empty `__in`): each aggregate's value over no rows.
    empty = baked(
        lambda ids: totals(Municipality.objects.filter(pk__in=ids), n=Count("*"), top=Max("code"))
    )
    with CaptureQueriesContext(connection) as captured:
        assert empty.one([]) == {"n": 0, "top": None}
    assert len(captured) == 0
    with pytest.raises(BakingError, match="plain"):
        totals(Municipality.objects.all()[:3], n=Count("*"))


def test_an_argument_compared_with_a_small_integer_column(kochi, settings):
    """A marker out of a small column's range would compile to "no rows" (PostgreSQL's
    ranges): the query is baked with small markers instead, and finds the row."""
    from platforms.models import MunicipalStatus

    settings.BAKED_QUERIES_CHECK = False
    municipality = Municipality.objects.get(code="392014")
    status = MunicipalStatus.objects.create(municipality=municipality, fiscal_year=2025)
    query = baked(lambda fy, pk: MunicipalStatus.objects.filter(fiscal_year=fy, municipality_id=pk))
    assert query(2025, municipality.pk) == [status]
    assert query(2024, municipality.pk) == []
    with CaptureQueriesContext(connection) as captured:
        assert query(2025, municipality.pk) == [status]
    assert len(captured) == 1
    # `lte` a marker above the column's range would drop the condition: small markers too.
    up_to = baked(lambda fy: MunicipalStatus.objects.filter(fiscal_year__lte=fy))
    assert up_to(2025) == [status]
    assert up_to(2024) == []


def test_a_constant_equal_to_a_marker_is_refused(kochi):
    """The second set of markers finds it: the SQL's parameters land elsewhere."""
    from core.baked import _INT_MARK

    clash = baked(lambda pk: Municipality.objects.filter(pk=pk).exclude(pk=_INT_MARK))
    with pytest.raises(BakingError, match="equals a marker"):
        clash(1)


def test_a_long_list_beside_an_argument_on_a_small_integer_column_runs_unbaked(kochi, settings):
    """More values than small markers can tell apart, and the large marker compiles to "no
    rows" on PostgreSQL (out of a smallint's range): the shape runs as the queryset, not as
    an empty answer every time."""
    from platforms.models import MunicipalStatus

    settings.BAKED_QUERIES_CHECK = False
    municipality = Municipality.objects.get(code="392014")
    status = MunicipalStatus.objects.create(municipality=municipality, fiscal_year=2025)
    ids = [municipality.pk, *range(10**9, 10**9 + 6_500)]
    query = baked(
        lambda ids, fy: MunicipalStatus.objects.filter(municipality_id__in=ids, fiscal_year=fy)
    )
    assert query(ids, 2025) == [status]
    assert query(ids, 2024) == []
    assert query(ids[:2], 2025) == [status]  # a short list is baked with small markers


def test_no_two_values_of_a_call_share_a_marker(kochi, settings):
    """A list's 10,000th element once had the next argument's marker: the list's value was
    replaced by the other argument's."""
    from django.db.models import Q

    settings.BAKED_QUERIES_CHECK = False
    first, second = Municipality.objects.order_by("pk").values_list("pk", flat=True)[:2]
    ids = [*range(10**9, 10**9 + 10_000), first]
    query = baked(
        lambda ids, other: Municipality.objects.filter(Q(pk__in=ids) | Q(pk=other)).values_list(
            "pk", flat=True
        )
    )
    assert sorted(query(ids, second)) == sorted([first, second])
    from cases.models import Case
    from tests.factories import CaseFactory

    days = [dt.date(2020, 1, 1) + dt.timedelta(days=n) for n in range(120)]
    case = CaseFactory(intake_date=days[100])  # dates were 100 apart
    dated = baked(
        lambda days, day: Case.objects.filter(Q(intake_date__in=days) | Q(intake_date=day))
    )
    assert dated(days, dt.date(1990, 1, 1)) == [case]


def test_a_parameter_computed_from_an_argument_is_refused(kochi):
    """`d + 1 day` would be frozen at the first call's value: the two marker sets give it
    two values, and the builder is refused."""
    from django.db.models import Q

    from cases.models import Case

    shifted = baked(
        lambda day: Case.objects.filter(
            Q(intake_date=day) | Q(intake_date=day + dt.timedelta(days=1))
        )
    )
    with pytest.raises(BakingError, match="computed from an argument"):
        shifted(dt.date(2024, 4, 1))
    plus_one = baked(lambda pk: Municipality.objects.filter(Q(pk=pk) | Q(pk=pk + 1)))
    with pytest.raises(BakingError, match="computed from an argument"):
        plus_one(1)


def test_an_id_beyond_64_bits_runs_unbaked(kochi):
    """A hand-typed id in a URL: SQLite cannot bind it (OverflowError, a 500); the ORM
    compiles it to no rows. The call runs as the queryset."""
    query = baked(lambda pk: Municipality.objects.filter(pk=pk))
    first = Municipality.objects.order_by("pk").first()
    assert query(first.pk) == [first]
    assert query(10**20) == []
    assert query(-(10**20)) == []
    assert query(first.pk) == [first]  # the baked shape is still there


def test_a_list_element_of_another_type_is_a_shape_of_its_own(kochi, settings):
    """After ints were baked, a None in the list (which `__in` leaves out) is refused rather
    than sent as NULL, and strs are compiled as their own shape."""
    settings.BAKED_QUERIES_CHECK = False
    first, second = Municipality.objects.order_by("pk").values_list("pk", flat=True)[:2]
    others = baked(
        lambda ids: Municipality.objects.exclude(pk__in=ids).values_list("pk", flat=True)
    )
    everyone = Municipality.objects.count()
    assert len(others([first, second])) == everyone - 2
    with pytest.raises(BakingError, match="NoneType"):
        others([first, None])
    assert len(others([str(first), second])) == everyone - 2
    assert len(others([first, second])) == everyone - 2
