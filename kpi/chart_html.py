"""templates/kpi/_chart.html built in Python, byte for byte.

The chart's template cost ~2 ms a chart (four a dashboard, a third of the dashboard's template
time: scripts/profile_pages.py --templates): a few hundred variable lookups for the grid, the
ticks and the data table. `render` builds the same HTML from the same indicator and geometry
(kpi.charts.LineChart); the template stays the readable definition of the markup and
tests/kpi/test_chart_html.py renders both, for charts of every shape (target or none,
projection or none, months without data, a closed year), in both languages, and requires them
equal. Used through `{% kpi_chart ind chart %}` (kpi.templatetags.kpi_charts).
"""

from typing import Any

from django.utils.translation import gettext, pgettext

from core.rendering import date as date_filter  # `|date:"NAME"`
from core.rendering import intcomma
from core.rendering import template_text as _v  # `{{ value }}`

TEMPLATE = "kpi/_chart.html"


def _unit_label(unit: str, context: Any) -> str:
    """`{% translate ind.unit context "unit" as unit_label %}`: a variable's value translated
    as the template tag does it (its % doubled into the message id, then rendered, then each
    %% made % again)."""
    return _v(pgettext("unit", unit.replace("%", "%%")), context).replace("%%", "%")


def _caption(ind: Any, unit_label: str, context: Any) -> str:
    if ind.target is None:
        return ""
    text = gettext("（目標 %(target)s%(unit)s）") % {
        "target": _v(intcomma(ind.target), context),
        "unit": unit_label,
    }
    return f'<span class="muted kpi-small">{text}</span>'


def _desc(ind: Any, report: Any, unit_label: str, context: Any) -> str:
    text = gettext("%(date)s時点の累計は%(value)s%(unit)s。") % {
        "value": _v(ind.value, context),
        "unit": unit_label,
        "date": _v(date_filter(report.as_of, "MONTH_DAY_FORMAT"), context),
    }
    if ind.target is not None:
        text += gettext("目標は%(target)s%(unit)s。") % {
            "target": _v(ind.target, context),
            "unit": unit_label,
        }
    if ind.projected is not None and not report.complete:
        text += gettext("年度末の見込みは%(projected)s%(unit)s。") % {
            "projected": _v(ind.projected, context),
            "unit": unit_label,
        }
    return text


def _rows(ind: Any, context: Any) -> str:
    rows = []
    for point in ind.monthly:
        month = _v(date_filter(point.month, "YEAR_MONTH_FORMAT"), context)
        if point.cumulative is None:
            cells = '<td class="num">—</td><td class="num">—</td>'
        else:
            cells = (
                f'<td class="num">{_v(intcomma(point.added), context)}</td>'
                f'<td class="num">{_v(intcomma(point.cumulative), context)}</td>'
            )
        rows.append(f'\n          <tr><th scope="row">{month}</th>{cells}</tr>\n          ')
    return "".join(rows)


def render(context: Any, ind: Any, chart: Any) -> str:
    """The include's output for indicator `ind` and its `chart`, with the context's `report`."""
    report = context.get("report")
    key = _v(ind.key, context)
    unit_label = _unit_label(ind.unit, context)
    left, right, top, bottom = (
        _v(v, context) for v in (chart.left, chart.right, chart.top, chart.bottom)
    )
    grid = "".join(
        f'<line x1="{left}" x2="{right}" y1="{tick.at}" y2="{tick.at}"/>' for tick in chart.y_ticks
    )
    months = "".join(
        f'<line class="kpi-chart__month" x1="{x}" x2="{x}" y1="{top}" y2="{bottom}"/>'
        for x in chart.month_xs
    )
    y_labels = "".join(
        f'<text x="{_v(int(chart.left) - 6, context)}" y="{tick.at}" class="kpi-chart__ylabel">'
        f"{_v(tick.label, context)}</text>"
        for tick in chart.y_ticks
    )
    x_labels = "".join(
        f'<text x="{tick.at}" y="{_v(int(chart.height) - 8, context)}" class="kpi-chart__xlabel">'
        f"{_v(tick.label, context)}</text>"
        for tick in chart.x_ticks
    )
    if chart.target_y is not None:
        target = (
            "\n"
            f'    <line class="kpi-chart__target" x1="{left}" x2="{right}"'
            f' y1="{chart.target_at}" y2="{chart.target_at}"/>\n'
            f'    <text class="kpi-chart__target-label" x="{_v(int(chart.right) - 4, context)}"'
            f' y="{chart.target_label_at}">{_v(gettext("目標"), context)} {_v(ind.target, context)}'
            "</text>\n    "
        )
    else:
        target = ""
    if chart.projection:
        start, end = chart.projection
        projection = (
            "\n"
            f'    <line class="kpi-chart__projection" x1="{start.at_x}" y1="{start.at_y}"'
            f' x2="{end.at_x}" y2="{end.at_y}"/>\n    '
        )
    else:
        projection = ""
    last = chart.last
    dot = (
        f'<circle class="kpi-chart__dot" cx="{last.at_x}" cy="{last.at_y}" r="4"/>' if last else ""
    )
    title = gettext("%(label)sの月別累計") % {"label": _v(ind.label, context)}
    table_caption = gettext("%(label)sの月別の件数と累計") % {"label": _v(ind.label, context)}
    goal = _v(gettext("目標"), context)
    tfoot = (
        f'<tfoot><tr><th scope="row">{goal}</th><td></td>'
        f'<td class="num">{_v(intcomma(ind.target), context)}</td></tr></tfoot>'
        if ind.target is not None
        else ""
    )
    width, height = _v(chart.width, context), _v(chart.height, context)
    return (
        "\n"
        f'<figure class="panel kpi-chart" aria-labelledby="chart-{key}-title">\n'
        f'  <figcaption id="chart-{key}-title" class="kpi-chart__title">'
        f"{_v(ind.label, context)}{_caption(ind, unit_label, context)}</figcaption>\n"
        f'  <svg class="kpi-chart__svg" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="chart-{key}-svgtitle chart-{key}-desc" focusable="false">\n'
        f'    <title id="chart-{key}-svgtitle">{title}</title>\n'
        f'    <desc id="chart-{key}-desc">{_desc(ind, report, unit_label, context)}</desc>\n'
        '    <g class="kpi-chart__grid">\n'
        f"      {grid}\n"
        f"      {months}\n"
        "    </g>\n"
        '    <g class="kpi-chart__axis" aria-hidden="true">\n'
        f'      <line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>\n'
        f"      {y_labels}\n"
        f"      {x_labels}\n"
        "    </g>\n"
        f"    {target}\n"
        f"    {projection}\n"
        f'    <polyline class="kpi-chart__line" points="{_v(chart.polyline, context)}"/>\n'
        f"    {dot}\n"
        "  </svg>\n"
        '  <details class="kpi-chart__data">\n'
        f"    <summary>{_v(gettext('数値を表で見る'), context)}</summary>\n"
        '    <div class="table-wrap">\n'
        '      <table class="table">\n'
        f'        <caption class="visually-hidden">{table_caption}</caption>\n'
        f'        <thead><tr><th scope="col">{_v(gettext("月"), context)}</th>'
        f'<th scope="col" class="num">{_v(gettext("当月"), context)}</th>'
        f'<th scope="col" class="num">{_v(gettext("累計"), context)}</th></tr></thead>\n'
        "        <tbody>\n"
        f"          {_rows(ind, context)}\n"
        "        </tbody>\n"
        f"        {tfoot}\n"
        "      </table>\n"
        "    </div>\n"
        "  </details>\n"
        "</figure>\n"
    )
