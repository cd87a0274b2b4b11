"""kpi.area_html builds templates/kpi/_area_row.html byte for byte: both are rendered for
rows of every shape (a prefecture or a municipality; meetings or none, every municipality met
or not; a platform established, in preparation or none; big numbers, markup in the names), in
both languages, and must be equal; and a real report's rows are among them."""

import datetime as dt
import itertools

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import translation

from core.dates import WAREKI, WESTERN
from kpi import area_html
from kpi.selectors import AreaKind, AreaRow
from tests.cases.test_case_row import use_style
from tests.kpi.helpers import report
from tests.kpi.test_views_dashboard import make_records

INCLUDE = Template('{% include "kpi/_area_row.html" %}')
TAG = Template("{% load kpi_charts %}{% kpi_area_row row %}")


def _rows() -> list[AreaRow]:
    rows = []
    for kind, meetings, met, platforms, preparing, name in itertools.product(
        (AreaKind.PREFECTURE, AreaKind.MUNICIPALITY),
        (0, 1, 12),
        (0, 3, 34),
        (0, 1, 34),
        (False, True),
        ("高知市", "<b>&'\"</b>"),
    ):
        rows.append(
            AreaRow(
                kind=kind,
                code="392014" if kind == AreaKind.MUNICIPALITY else "39",
                name=name,
                jurisdiction="" if kind == AreaKind.PREFECTURE else f"中央東{name}",
                new_consultations=12345 * meetings,
                meetings=meetings,
                first_meeting=dt.date(2024, 5, 7) if meetings else None,
                ibasho_links=1000 + meetings,
                employed=meetings,
                municipalities=34 if kind == AreaKind.PREFECTURE else 1,
                municipalities_with_meetings=met,
                platforms=platforms,
                platform_preparing=preparing,
            )
        )
    return rows


def _compare(rows: list[AreaRow]) -> int:
    compared = 0
    for language, style in itertools.product(("ja", "en"), (WAREKI, WESTERN)):
        with translation.override(language), use_style(style):
            for row in rows:
                expected = INCLUDE.render(Context({"row": row}))
                assert TAG.render(Context({"row": row})) == expected, (language, style, row)
                compared += 1
    return compared


def test_area_rows_of_every_shape_match_their_template() -> None:
    rows = _rows()
    assert _compare(rows) == 4 * len(rows)
    rendered = INCLUDE.render(Context({"row": rows[-1]}))
    assert "&lt;b&gt;" in rendered and "row--alert" not in rendered  # escaped; meetings held


@pytest.mark.django_db
def test_a_reports_rows_match_their_template() -> None:
    make_records(12)
    rows = [
        *report(2023, "pref", dt.date(2024, 3, 31)).areas,
        *report(2023, "all", dt.date(2024, 3, 31)).areas,
    ]
    assert {row.kind for row in rows} == {AreaKind.PREFECTURE, AreaKind.MUNICIPALITY}
    assert _compare(rows) == 4 * len(rows)


def test_the_template_and_the_python_are_different_code() -> None:
    """Guard against a comparison of the Python version with itself."""
    source = get_template(area_html.TEMPLATE).template.source
    assert '{% if row.kind == "prefecture" %}' in source
    assert "{% load kpi_charts" not in source


PROGRAMME_INCLUDE = Template('{% include "programme/_municipality_row.html" %}')
PROGRAMME_TAG = Template("{% load kpi_charts %}{% kpi_programme_row m %}")


@pytest.mark.django_db
def test_programme_rows_match_their_template() -> None:
    from programme.selectors import MunicipalityProgramme

    make_records(12)
    rows = [
        *report(2023, "pref", dt.date(2024, 3, 31)).programme.by_municipality,
        MunicipalityProgramme("392014", "<b>&'\"</b>", 12345, 0, 1, 2, 3, 1000),
    ]
    assert len(rows) > 30
    compared = 0
    for language in ("ja", "en"):
        with translation.override(language):
            for m in rows:
                expected = PROGRAMME_INCLUDE.render(Context({"m": m}))
                assert PROGRAMME_TAG.render(Context({"m": m})) == expected, (language, m)
                compared += 1
    assert compared == 2 * len(rows)
    source = get_template(area_html.PROGRAMME_TEMPLATE).template.source
    assert "{{ m.supervisions_given }}" in source and "{% load kpi_charts" not in source
