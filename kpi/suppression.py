"""Small-count suppression for published KPI tables (公表用).

A count from 1 to `threshold - 1` is shown as "<5" (primary suppression). A shown total would
give a hidden cell back by subtraction, so more cells are hidden (secondary suppression, shown
as "x") until no hidden cell's value can be worked out from the total and the shown cells:

- a reader knows a "<5" cell is between 1 and threshold - 1, and an "x" cell is at least the
  threshold (the smallest remaining non-zero cell is hidden, and every cell below the
  threshold is already "<5");
- for every group of cells whose sum is known, each hidden cell must keep more than one
  possible value given those bounds (one hidden cell alone never does).

A column of monthly figures also shows running totals (累計). Each shown running total makes
the months since the previous shown one a group whose sum is known, so a running total is
shown only where its group is safe and it is not below the threshold; every other running
total is "x" (whatever its size, so that the mark itself tells nothing).

`tests/kpi/test_workbook.py` checks these rules against a brute-force reader that tries every
column consistent with what is published.

Zeros stay 0: "nobody" identifies nobody, and hiding zeros would hide that a need is unmet.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

PRIMARY = "primary"  # a small count, shown as "<5"
SECONDARY = "secondary"  # hidden so that a total does not give a small count back, shown as "x"
SECONDARY_MARK = "x"


def small_label(threshold: int) -> str:
    return f"<{threshold}"


@dataclass
class Column:
    """The published form of one column: each cell, its running totals and its total."""

    values: list[int | None]  # None: no figure (a month after the report date)
    threshold: int
    hidden: dict[int, str] = field(default_factory=dict)  # index → PRIMARY or SECONDARY
    boundaries: set[int] = field(default_factory=set)  # indexes whose running total is shown
    total_hidden: bool = False

    @property
    def total(self) -> int:
        return sum(v for v in self.values if v is not None)

    def cell(self, index: int) -> int | str | None:
        value = self.values[index]
        if index in self.hidden:
            return small_label(self.threshold) if self.hidden[index] == PRIMARY else SECONDARY_MARK
        return value

    def running(self, index: int) -> int | str | None:
        """The running total up to `index` as published."""
        if self.values[index] is None:
            return None
        value = sum(v for v in self.values[: index + 1] if v is not None)
        if value == 0:
            return 0
        # A hidden running total is "x" whatever its size: "<5" here would tell a reader
        # that the months so far add up to less than 5, and "x" only where it is 5 or more.
        if index not in self.boundaries:
            return SECONDARY_MARK
        return value

    def shown_total(self) -> int | str:
        total = self.total
        if self.total_hidden:
            return SECONDARY_MARK
        if 0 < total < self.threshold:
            return small_label(self.threshold)
        return total


def _bounds(kind: str, threshold: int) -> tuple[int, float]:
    return (1, threshold - 1) if kind == PRIMARY else (threshold, float("inf"))


def group_is_safe(values: Sequence[int], hidden: dict[int, str], threshold: int) -> bool:
    """True when no hidden cell of a group with a known sum can be worked out.

    `values` are the group's cells, `hidden` maps their indexes (within the group) to
    PRIMARY or SECONDARY. The reader knows the sum of the hidden cells (the group's sum minus
    the shown cells) and each hidden cell's bounds; a cell is disclosed when those leave it a
    single possible value.
    """
    if not hidden:
        return True
    rest = sum(values[i] for i in hidden)
    bounds = {i: _bounds(hidden[i], threshold) for i in hidden}
    for i in hidden:
        others_low = sum(bounds[j][0] for j in hidden if j != i)
        others_high = sum(bounds[j][1] for j in hidden if j != i)
        low = max(bounds[i][0], rest - others_high)
        high = min(bounds[i][1], rest - others_low)
        if low >= high:
            return False
    return True


def suppress(
    values: Sequence[int | None],
    *,
    threshold: int,
    total_shown: bool = True,
    running_totals: bool = False,
) -> Column:
    """Decide which cells of one column to hide (see the module docstring).

    `total_shown`: the column's total is published (on this sheet or another).
    `running_totals`: the column also shows running totals (monthly sheets).
    """
    column = Column(values=list(values), threshold=threshold)
    present = [i for i, v in enumerate(column.values) if v is not None]
    for i in present:
        value = column.values[i]
        assert value is not None
        if 0 < value < threshold:
            column.hidden[i] = PRIMARY
    if not present:
        return column
    if 0 < column.total < threshold:
        # The total is itself "<5" and no running total is shown. It still tells that the
        # cells add up to less than 5: with four cells of 1 each, that gives them all away.
        column.total_hidden = len(column.hidden) >= threshold - 1
        return column
    no_boundary: set[int] = set()
    while True:
        column.boundaries = _boundaries(column, present, no_boundary, running_totals)
        if not total_shown:
            return column
        last = present[-1]
        previous = max((b for b in column.boundaries if b != last), default=None)
        group = [i for i in present if previous is None or i > previous]
        if _safe(column, group):
            column.boundaries.add(last)
            return column
        # Hide the smallest non-zero cell still shown in the unsafe group, else widen the group.
        candidates = [i for i in group if i not in column.hidden and column.values[i]]
        if candidates:
            smallest = min(candidates, key=lambda i: (column.values[i], i))
            column.hidden[smallest] = SECONDARY
            continue
        if previous is not None:
            no_boundary.add(previous)
            continue
        # Nothing left to hide: the total cannot be shown safely.
        column.total_hidden = True
        column.boundaries = set()
        return column


def _safe(column: Column, group: list[int]) -> bool:
    values = [column.values[i] or 0 for i in group]
    hidden = {n: column.hidden[i] for n, i in enumerate(group) if i in column.hidden}
    return group_is_safe(values, hidden, column.threshold)


def _boundaries(
    column: Column, present: list[int], no_boundary: set[int], running_totals: bool
) -> set[int]:
    """Months whose running total is shown: greedily, wherever the group since the previous
    shown running total is safe (the last month is decided by the caller)."""
    if not running_totals:
        return set()
    shown: set[int] = set()
    group: list[int] = []
    running = 0
    for i in present[:-1]:
        group.append(i)
        running += column.values[i] or 0
        if i in no_boundary or 0 < running < column.threshold:
            continue
        if _safe(column, group):
            shown.add(i)
            group = []
    return shown
