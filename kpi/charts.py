"""Server-rendered SVG charts: the monthly cumulative line of an indicator against its target.

The geometry is computed here and drawn by `templates/kpi/_chart.html` (no JavaScript, no
inline styles: the look comes from CSS classes), which the dashboard renders through its
Python build, kpi.chart_html (tests/kpi/test_chart_html.py holds the two equal). Each chart
has a data table next to it as its text alternative.
"""

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from django.utils import dateformat

from kpi.selectors import IndicatorResult, Report

WIDTH = 560
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 28


LABEL_SIZE = 12  # px, .kpi-chart__target-label


def _label_y(line_y: float) -> float:
    """A text baseline 5 px above the line, or 15 px below when that would leave the chart."""
    above = line_y - 5
    return above if above - LABEL_SIZE >= 0 else line_y + LABEL_SIZE + 3


def _at(value: float) -> str:
    """A coordinate as the SVG gets it: one decimal (written here rather than with the
    template's `floatformat`, some 200 calls a page at 40 µs each)."""
    return f"{value:.1f}"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str

    @property
    def at(self) -> str:
        return _at(self.position)


@dataclass(frozen=True)
class Point:
    x: float
    y: float

    @property
    def at_x(self) -> str:
        return _at(self.x)

    @property
    def at_y(self) -> str:
        return _at(self.y)


@dataclass(frozen=True)
class LineChart:
    key: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: list[Point]
    projection: tuple[Point, Point] | None
    target_y: float | None
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    month_lines: list[float]
    # Where the target's label sits: above its line, or below it when the line is so near the
    # top that a label above would be cut off at the chart's edge.
    target_label_y: float | None = None

    @property
    def month_xs(self) -> list[str]:
        return [_at(x) for x in self.month_lines]

    @property
    def target_at(self) -> str:
        return "" if self.target_y is None else _at(self.target_y)

    @property
    def target_label_at(self) -> str:
        return "" if self.target_label_y is None else _at(self.target_label_y)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def last(self) -> Point | None:
        return self.points[-1] if len(self.points) > 1 else None


def nice_step(maximum: float, ticks: int = 4) -> int:
    """A round step (1, 2, 5 × 10ⁿ) giving at most `ticks` intervals up to `maximum`."""
    raw = max(maximum, 1) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step >= raw:
            return max(1, int(step))
    return int(10 * power)  # pragma: no cover


def line_chart(report: Report, indicator: IndicatorResult) -> LineChart:
    start = report.start
    days = report.days_in_year
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_h

    highest = max(
        indicator.target or 0,
        indicator.projected or 0,
        max((p.cumulative or 0 for p in indicator.monthly), default=0),
        1,
    )
    # Some headroom, so a target at a round number is not drawn on the frame.
    step = nice_step(highest * 1.08)
    top_value = step * math.ceil(highest * 1.08 / step)

    def x_of(day_index: float) -> float:
        return LEFT + plot_w * day_index / days

    def y_of(value: float) -> float:
        return bottom - plot_h * value / top_value

    points = [Point(x_of(0), y_of(0))]
    for point in indicator.monthly:
        if point.cumulative is None:
            break
        month_end = dt.date(
            point.month.year,
            point.month.month,
            calendar.monthrange(point.month.year, point.month.month)[1],
        )
        day = min(month_end, report.end)
        points.append(Point(x_of((day - start).days + 1), y_of(point.cumulative)))

    projection = None
    if not report.complete and indicator.projected is not None and len(points) > 1:
        projection = (points[-1], Point(x_of(days), y_of(indicator.projected)))

    month_edges = []
    x_ticks = []
    for index, point in enumerate(indicator.monthly):
        first = point.month
        offset = (first - start).days
        if index:
            month_edges.append(x_of(offset))
        length = calendar.monthrange(first.year, first.month)[1]
        # "M" is "4月" in Japanese, "Apr" in English.
        x_ticks.append(Tick(x_of(offset + length / 2), dateformat.format(first, "M")))

    return LineChart(
        key=indicator.key,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=bottom,
        points=points,
        projection=projection,
        target_y=y_of(indicator.target) if indicator.target is not None else None,
        target_label_y=_label_y(y_of(indicator.target)) if indicator.target is not None else None,
        y_ticks=[Tick(y_of(v), str(v)) for v in range(0, top_value + 1, step)],
        x_ticks=x_ticks,
        month_lines=month_edges,
    )
