"""templates/kpi/_area_row.html and templates/programme/_municipality_row.html built in
Python, byte for byte.

A row of the dashboard's table by area cost ~0.15 ms through the template (a prefecture has
tens of municipalities, the national scope 47 prefectures: 5.6 ms of the dashboard at the
benchmark's scale, issue #22). `render` builds the same HTML from the same
`kpi.selectors.AreaRow`; the template stays the readable definition of the markup and
tests/kpi/test_area_html.py renders both, for rows of every shape, in both languages, and
requires them equal. Used through `{% kpi_area_row row %}` (kpi.templatetags.kpi_charts).
The programme section's table by municipality, the same way: `programme_row`, through
`{% kpi_programme_row m %}`.
"""

from typing import Any

from django.utils.translation import gettext

from core.rendering import counted, intcomma
from core.rendering import date as date_filter  # `|date:"NAME"`
from core.rendering import template_text as _v  # `{{ value }}`

TEMPLATE = "kpi/_area_row.html"
PROGRAMME_TEMPLATE = "programme/_municipality_row.html"


def _times(row: Any, context: Any) -> str:
    """`{% blocktranslate count n=row.meetings %}{{ n }}回{% plural %}…`: the meetings."""
    return counted("%(n)s回", "%(n)s回", "n", row.meetings, context)


def _not_held() -> str:
    return f'<span class="badge badge--warning">{_v(gettext("未実施"))}</span>'


def _prefecture(row: Any, context: Any) -> str:
    if row.meeting_held:
        badge = "badge--success" if row.every_municipality_met else "badge--muted"
        met = gettext("%(n)s / %(total)s 市町村") % {
            "n": _v(row.municipalities_with_meetings, context),
            "total": _v(row.municipalities, context),
        }
        meetings = f'<span class="badge {badge}">{met}</span> {_times(row, context)}'
    else:
        meetings = _not_held()
    platforms = gettext("%(n)s / %(total)s 市町村で設置済") % {
        "n": _v(row.platforms, context),
        "total": _v(row.municipalities, context),
    }
    return (
        "\n        <tr" + ("" if row.meeting_held else ' class="row--alert"') + ">\n"
        f'          <th scope="row">{_v(row.name, context)}</th>\n'
        f'          <td class="num">{_v(intcomma(row.municipalities), context)}</td>\n'
        f"          <td>{meetings}</td>\n"
        f'          <td class="num">{_v(intcomma(row.new_consultations), context)}</td>\n'
        f'          <td class="num">{_v(intcomma(row.ibasho_links), context)}</td>\n'
        f'          <td class="num">{_v(intcomma(row.employed), context)}</td>\n'
        f"          <td>{platforms}</td>\n"
        "        </tr>\n        "
    )


def _municipality(row: Any, context: Any) -> str:
    if row.meeting_held:
        first = gettext("（初回 %(date)s）") % {
            "date": _v(date_filter(row.first_meeting, "MONTH_DAY_FORMAT"), context)
        }
        meetings = (
            f'<span class="badge badge--success">{_v(gettext("実施"))}</span> '
            f'{_times(row, context)}<span class="muted kpi-small">{first}</span>'
        )
    else:
        meetings = _not_held()
    if row.platform_established:
        platform = _v(gettext("設置済"))
    elif row.platform_preparing:
        platform = _v(gettext("準備中"))
    else:
        platform = f'<span class="muted">{_v(gettext("未設置"))}</span>'
    return (
        "\n        <tr" + ("" if row.meeting_held else ' class="row--alert"') + ">\n"
        f'          <th scope="row">{_v(row.name, context)}</th>\n'
        f"          <td>{_v(row.jurisdiction, context)}</td>\n"
        f"          <td>{meetings}</td>\n"
        f'          <td class="num">{_v(intcomma(row.new_consultations), context)}</td>\n'
        f'          <td class="num">{_v(intcomma(row.ibasho_links), context)}</td>\n'
        f'          <td class="num">{_v(intcomma(row.employed), context)}</td>\n'
        "          \n"
        f"          <td>{platform}</td>\n"
        "        </tr>\n        "
    )


def render(context: Any, row: Any) -> str:
    """The include's output for `row` (a `kpi.selectors.AreaRow`)."""
    body = _prefecture(row, context) if row.kind == "prefecture" else _municipality(row, context)
    return f"\n        {body}\n"


def programme_row(context: Any, m: Any) -> str:
    """The include's output for `m` (a `programme.selectors.MunicipalityProgramme`)."""
    cells = "".join(
        f'<td class="num">{_v(n, context)}</td>'
        for n in (
            m.identified,
            m.reached,
            m.to_case,
            m.supervision_requests,
            m.supervisions_given,
            m.supported_meetings,
        )
    )
    return f'<tr><th scope="row">{_v(m.name, context)}</th>{cells}</tr>\n'
