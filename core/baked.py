"""Baked queries: a hot queryset's SQL compiled once per process, its values filled in per call.

Building a queryset and compiling it to SQL cost the daily pages about a third of their own
CPU (issue #22, scripts/profile_pages.py: `as_sql` and `add_q` at ~0.5 ms a query, 9-26
queries a page), for SQL that is the same text every time with other values. SQLAlchemy
calls the remedy a baked query; this is the same idea for Django's ORM:

    consultations_of = baked(
        lambda case_id: Consultation.objects.filter(case_id=case_id).select_related("recorded_by")
    )
    rows = consultations_of(case.pk)  # a list: model instances, select_related and all

The first call for a shape builds the queryset with marker values in place of the arguments,
compiles it, and notes where each marker landed among the SQL parameters (it does so with a
second set of markers too, and with small ones for int arguments: see the markers below);
each later call copies that compiled statement, puts its own values there and runs it
through Django's own iterable (model instances, `select_related`, `values_list`,
converters, `prefetch_related` exactly as the queryset would give them). A shape is the
builder, the database alias, the active language and, for a list argument, its length
(`__in` spells one parameter per element) and the types of its elements.

Rules for a builder (each enforced where it can be):
- every value that varies goes in as an argument: a builder that reads the clock, the
  request or a setting would have it frozen at its first call;
- arguments are ints, strs or dates (or lists of them), and each must reach the SQL as a parameter:
  one that changes the SQL's text instead (a slice) is refused at bake time, and so is a
  parameter computed from an argument (`d + timedelta(days=1)`, `x + 1`): the two marker sets
  give it two values;
- a builder must not branch on an argument's value (`if code:`): that is not detected, as
  every marker is truthy and far from the values the app stores;
- the call returns a list, not a queryset, so nothing can be chained onto a compiled one.

An aggregate is baked as `totals(queryset, **aggregates)` and read with `Baked.one`: the
SELECT `.aggregate()` sends, and its dict. An int argument compared with a small integer
column (a fiscal year) is baked with small markers: out of the column's range, the ORM would
compile the marker to "no rows". A query over a KPI scope: `kpi.scopes.scoped_baked`.

Some calls run the queryset the ordinary way instead (correct, only not faster): an int
beyond 64 bits (a hand-typed id in a URL: SQLite cannot bind it, the ORM compiles it to "no
rows"), and a shape whose markers the ORM compiles to "no rows" where small markers cannot
stand in (more values than they can tell apart), or whose markers the ORM refuses for the
field (strs for an int column: the ORM converts "12" to 12, not a marker).

`BAKED_QUERIES_CHECK` (on in the test suite) also compiles the queryset the ordinary way on
every call and raises if its SQL or parameters differ from the baked ones: every test that
passes through a baked query checks it.
"""

import copy
import datetime as dt
import weakref
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils import translation

# Far from any id, count or code the app stores. Each shape is baked with two sets of markers
# (`variant` 0 and 1), which must give the same SQL with the arguments in the same places: a
# constant parameter equal to a marker, or SQL that depends on an argument's value, is refused.
_INT_MARK = 7_340_000_000_000
# An int compared with a small integer column (a fiscal year) must stay inside the column's
# range: out of it the ORM compiles the condition to "no rows" (EmptyResultSet) or drops it
# (`lte` it: always true). So a shape with int arguments is also baked with small markers,
# inside every integer column's range (at most 6,000 values in all), and those are used
# whenever the SQL with the large ones differs. Every value of a call (each argument and each
# element of a list argument) has its own index, so no two markers of a bake are equal.
_SMALL_INT_MARK = 20_000
_SMALL_INT_COUNT = 6_000  # 20,000 + 2 × 6,000 < 32,767, a smallint's top
_DATE_COUNT = 50_000  # days after _DATE_MARK for each set of markers
_INT64 = (-(2**63), 2**63 - 1)
_STR_MARK = "\x1fbaked:{}:{}\x1f"


class BakingError(TypeError):
    """A builder that cannot be baked (an argument that is not a parameter, an unsupported
    type): a programming error, raised at its first call."""


_DATE_MARK = dt.date(2900, 1, 1)


def _marker(index: int, sample: Any, small: bool, variant: int) -> Any:
    """The marker of a call's `index`-th value (arguments and list elements counted in order)."""
    if isinstance(sample, (bool, dt.datetime)) or not isinstance(sample, (int, str, dt.date)):
        raise BakingError(
            f"a baked query's argument must be int, str or date, not {type(sample)!r}"
        )
    if isinstance(sample, dt.date):
        if index >= _DATE_COUNT:
            raise _Unbakeable("too many values for a baked query's date markers")
        return _DATE_MARK + dt.timedelta(days=variant * _DATE_COUNT + index)
    if isinstance(sample, int):
        if not small:
            return _INT_MARK + variant * 10**12 + index
        if index >= _SMALL_INT_COUNT:
            raise _Unbakeable("too many values for a baked query on a small integer column")
        return _SMALL_INT_MARK + variant * _SMALL_INT_COUNT + index
    return _STR_MARK.format(variant, index)


class _Unbakeable(BakingError):
    """A shape the markers cannot stand for: more values than small markers tell apart, or a
    marker the ORM refuses for its field (a str marker for an int column). It runs unbaked."""


class _Compiled:
    """One shape: the queryset built with markers, its compiler after `as_sql`, the SQL and
    the parameters, and for each parameter that is an argument, which one."""

    def __init__(self, queryset: QuerySet[Any], args: tuple[Any, ...]) -> None:
        self.queryset = queryset
        self.small = any(
            isinstance(v, int) and v < _INT_MARK
            for arg in args
            for v in (arg if isinstance(arg, list) else [arg])
        )
        self.compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:  # `__in` an empty list: no rows, no query
            self.sql, params = "", ()
        self.params = list(params)
        # marker (or the text a backend turns a date into: SQLite's) -> (argument, element, how)
        markers: dict[Any, tuple[int, int | None, Callable[[Any], Any] | None]] = {}
        for position, arg in enumerate(args):
            for element, value in enumerate(arg) if isinstance(arg, list) else [(None, arg)]:
                markers[value] = (position, element, None)
                if isinstance(value, dt.date):
                    markers[str(value)] = (position, element, str)
        self.slots: list[tuple[int, int, int | None, Callable[[Any], Any] | None]] = []
        for index, param in enumerate(self.params):
            try:
                found = markers.get(param)
            except TypeError:  # unhashable (a list parameter): not one of ours
                found = None
            if found is not None:
                self.slots.append((index, *found))
        # Where each argument lands, for comparing two bakes of the shape.
        self.layout = [(i, p, e, how is None) for i, p, e, how in self.slots]
        seen = {(position, element) for _index, position, element, _how in self.slots}
        missing = [(p, e) for p, e, _how in markers.values() if (p, e) not in seen]
        if missing and self.sql:  # (no SQL at all: nothing to fill in)
            raise BakingError(
                f"argument(s) {sorted({p for p, _e in missing})} of a baked query do not reach "
                "its SQL as parameters (used in a slice or a branch?)"
            )
        for marker in markers:
            if str(marker) in self.sql:
                raise BakingError("a baked query's argument is spelled into its SQL text")
        # Each connection's converters of the selected columns, worked out once (Django does
        # it for every query it runs: ~0.05 ms a query, issue #22).
        self._converters: weakref.WeakKeyDictionary[Any, dict[tuple[int, ...], Any]] = (
            weakref.WeakKeyDictionary()
        )

    def run(self, args: tuple[Any, ...]) -> list[Any]:
        if not self.sql:
            return []
        params = self.filled(args)
        sql, bound = self.sql, tuple(params)
        compiler: Any = copy.copy(self.compiler)
        compiler.as_sql = lambda *a, **k: (sql, bound)
        # This thread's connection (Django's are per thread), not the one that compiled it.
        connection = compiler.connection = connections[self.queryset.db]
        memo = self._converters.get(connection)
        if memo is None:
            memo = self._converters[connection] = {}
        compiler.get_converters = _memoized_converters(compiler.get_converters, memo)
        # A fresh queryset of the template's kind over its query (never changed: nothing is
        # chained onto it), whose compiler is the filled-in copy.
        template: Any = self.queryset
        queryset: Any = QuerySet(
            model=template.model,
            query=_Compiled.Frozen(template.query, compiler),  # type: ignore[arg-type]
            using=template.db,
        )
        queryset._iterable_class = template._iterable_class
        queryset._fields = template._fields
        queryset._prefetch_related_lookups = template._prefetch_related_lookups
        queryset._fetch_mode = template._fetch_mode
        return list(queryset)

    def filled(self, args: tuple[Any, ...]) -> list[Any]:
        """The parameters with these arguments' values in their slots."""
        params = list(self.params)
        for index, position, element, how in self.slots:
            value = args[position] if element is None else args[position][element]
            params[index] = value if how is None else how(value)
        return params

    class Frozen:
        """The template's query, read-only, answering `get_compiler` with the filled-in one."""

        def __init__(self, query: Any, compiler: Any) -> None:
            self._query = query
            self._compiler = compiler

        def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
            return self._compiler

        def __getattr__(self, name: str) -> Any:
            return getattr(self._query, name)


def _memoized_converters(
    get_converters: Callable[[list[Any]], Any], memo: dict[tuple[int, ...], Any]
) -> Callable[[list[Any]], Any]:
    """`compiler.get_converters`, answered from `memo` for expressions it has seen: the
    compiled query's own columns, which live as long as it does."""

    def converters(expressions: list[Any]) -> Any:
        key = tuple(map(id, expressions))
        found = memo.get(key)
        if found is None:
            found = memo[key] = get_converters(expressions)
        return found

    return converters


def _shape(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # A list's element types too: a None, a bool or a str where ints were baked is converted
    # otherwise by the ORM (None leaves `__in`), so it is a shape of its own (or refused).
    return tuple(
        (len(a), frozenset(map(type, a))) if isinstance(a, list) else type(a) for a in args
    )


def _beyond_int64(args: tuple[Any, ...]) -> bool:
    """Whether an int argument is beyond 64 bits. (A list's elements are not looked at: the
    ORM sends an `__in` list's values as they are, so the queryset would fail the same way.)"""
    low, high = _INT64
    return any(type(arg) is int and not low <= arg <= high for arg in args)


def _marked(args: tuple[Any, ...], small: bool = False, variant: int = 0) -> tuple[Any, ...]:
    marked: list[Any] = []
    index = 0
    for arg in args:
        if isinstance(arg, list):
            marked.append([_marker(index + i, v, small, variant) for i, v in enumerate(arg)])
            index += len(arg)
        else:
            marked.append(_marker(index, arg, small, variant))
            index += 1
    return tuple(marked)


def _has_int(args: tuple[Any, ...]) -> bool:
    return any(
        isinstance(v, int) for arg in args for v in (arg if isinstance(arg, list) else [arg])
    )


class Baked:
    """A builder of a queryset, called with the values of its arguments; see the module."""

    def __init__(self, build: Callable[..., QuerySet[Any]], using: str = DEFAULT_DB_ALIAS) -> None:
        self.build = build
        self.using = using
        # Each shape's compiled statement, or None: the shape runs unbaked (see the module).
        self._compiled: dict[tuple[Any, ...], _Compiled | None] = {}

    def __call__(self, *args: Any) -> list[Any]:
        compiled, args = self._compiled_for(args)
        if compiled is None:
            return list(self._fresh(args))
        return compiled.run(args)

    def _fresh(self, args: tuple[Any, ...]) -> QuerySet[Any]:
        return self.build(*args).using(self.using)

    def _compiled_for(self, args: tuple[Any, ...]) -> tuple[_Compiled | None, tuple[Any, ...]]:
        # A list argument without repeats, in its order: `__in` drops them when compiling.
        args = tuple(list(dict.fromkeys(a)) if isinstance(a, (list, tuple)) else a for a in args)
        if _beyond_int64(args):
            return None, args
        key = (connections[self.using].alias, translation.get_language(), _shape(args))
        try:
            compiled = self._compiled[key]
        except KeyError:
            compiled = self._compiled[key] = self._bake(args)
        if compiled is not None and getattr(settings, "BAKED_QUERIES_CHECK", False):
            self._check(compiled, args)
        return compiled, args

    def first(self, *args: Any) -> Any:
        """The first row, or None (the builder slices or orders as it needs)."""
        rows = self(*args)
        return rows[0] if rows else None

    def _bake(self, args: tuple[Any, ...]) -> _Compiled | None:
        """The shape's compiled statement, or None when it must run unbaked."""

        def bake(small: bool, variant: int) -> _Compiled:
            marked = _marked(args, small, variant)
            try:
                return _Compiled(self.build(*marked).using(self.using), marked)
            except (ValueError, ValidationError) as error:  # (BakingError is a TypeError)
                raise _Unbakeable(f"the ORM refuses a marker: {error}") from error

        small = _has_int(args)
        try:
            compiled = bake(False, 0)
        except _Unbakeable:
            return None
        except BakingError:
            if not small:
                raise
            # A large marker can drop its condition (`lte` a value above every one), and with
            # it the marker: the small ones are the query.
            try:
                compiled = bake(True, 0)
            except _Unbakeable:
                return None
        else:
            if small:
                try:
                    fitting = bake(True, 0)
                except _Unbakeable:
                    fitting = None
                if fitting is not None and fitting.sql != compiled.sql:
                    compiled = fitting  # the large markers changed the SQL
        if not compiled.sql and all(a for a in args if isinstance(a, list)):
            # "No rows" with no empty list to explain it: a marker out of a column's range
            # that small markers could not replace (a long list beside it). Run it unbaked.
            return None
        again = bake(compiled.small, 1)
        if again.sql != compiled.sql or again.layout != compiled.layout:
            raise BakingError(
                "a baked query's SQL depends on its arguments' values, or one of its constant "
                "parameters equals a marker: bake it otherwise"
            )
        slots = {index for index, *_rest in compiled.slots}
        if any(
            first != second
            for index, (first, second) in enumerate(zip(compiled.params, again.params, strict=True))
            if index not in slots
        ):
            raise BakingError(
                "a baked query's parameter is computed from an argument (it changes with the "
                "markers): pass the computed value as an argument of its own"
            )
        return compiled

    def one(self, *args: Any) -> dict[str, Any]:
        """The row of a builder that returns `totals(...)`: what `.aggregate()` would give,
        also when an empty `__in` leaves no query to run (each aggregate's value over no
        rows: 0 for a count, None for a sum)."""
        compiled, args = self._compiled_for(args)
        if compiled is None:
            queryset = self._fresh(args)
            rows = list(queryset)
        else:
            queryset, rows = compiled.queryset, compiled.run(args)
        if rows:
            return {name.removesuffix("_"): value for name, value in rows[0].items()}
        return {
            name.removesuffix("_"): None if value is NotImplemented else value
            for name, expression in queryset.query.annotation_select.items()
            for value in [getattr(expression, "empty_result_set_value", None)]
        }

    def _check(self, compiled: _Compiled, args: tuple[Any, ...]) -> None:
        fresh = self._fresh(args)
        try:
            sql, params = fresh.query.get_compiler(using=fresh.db).as_sql()
        except EmptyResultSet:
            sql, params = "", ()
        filled = compiled.filled(args)
        if sql != compiled.sql or list(params) != filled:
            raise AssertionError(
                f"baked query {getattr(self.build, '__qualname__', self.build)!r} differs from "
                "its queryset:\n"
                f"  baked: {compiled.sql} {filled}\n  fresh: {sql} {list(params)}"
            )


def totals(queryset: QuerySet[Any], **aggregates: Any) -> QuerySet[Any]:
    """`queryset.aggregate(**aggregates)` as a queryset of one row (a dict), for a baked
    builder (`Baked.one` reads it): the same SQL, one SELECT of the aggregates with no GROUP
    BY. `.count()` is `totals(qs, n=Count("*"))`. Only for a plain filtered queryset: one
    with its own aggregates, a slice or DISTINCT needs `.aggregate()`'s subquery."""
    if queryset.query.is_sliced or queryset.query.distinct or queryset.query.annotations:
        raise BakingError("totals() takes a plain filtered queryset")
    # Each selected as its name and an underscore, which no field's name can end with: an
    # aggregate named after a field (`jusoteki=Count(...)`) is allowed by `.aggregate()` but
    # not by `.values()`. `Baked.one` gives the names back.
    rows = queryset.order_by().values(
        **{f"{name}_": aggregate for name, aggregate in aggregates.items()}
    )
    rows.query.group_by = None  # `values()` with aggregates would group by every column
    return rows


def baked(build: Callable[..., QuerySet[Any]]) -> Baked:
    """Decorator / wrapper: `Baked(build)`."""
    return Baked(build)


def attach[R](rows: list[R], **related: Any) -> list[R]:
    """Give each row its already-read related objects (`attach(rows, case=case)`), as a related
    manager (`case.consultations`) would: rows baked by the parent's id, without a query each."""
    for row in rows:
        for name, obj in related.items():
            setattr(row, name, obj)
    return rows
