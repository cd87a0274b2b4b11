"""kpi.chart_html builds templates/kpi/_chart.html byte for byte: both are rendered for the
charts of reports of every shape (targets or none, a year under way with its projection and
months still to come, a finished year, a municipality, a year without records), in both
languages, and must be equal."""

import datetime as dt
from dataclasses import replace

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import translation

from kpi import chart_html
from kpi.charts import line_chart
from tests.kpi.helpers import report
from tests.kpi.test_views_dashboard import make_records

pytestmark = pytest.mark.django_db

INCLUDE = Template('{% include "kpi/_chart.html" %}')
TAG = Template("{% load kpi_charts %}{% kpi_chart ind chart %}")


def _reports():
    return [
        report(2023, "pref", dt.date(2023, 12, 31)),  # under way: projection, months to come
        report(2023, "pref", dt.date(2024, 3, 31)),  # the whole year
        report(2023, "392014", dt.date(2023, 9, 30)),  # one municipality
        report(2024, "pref", dt.date(2024, 4, 1)),  # the year's first day: nothing yet
        report(2016, "pref"),  # a year before the system's records
    ]


def _empty_year():
    """A report whose months have no figure yet (a line with no point but its origin)."""
    rep = report(2024, "pref", dt.date(2024, 4, 1))
    ind = rep.indicators[0]
    months = [replace(point, cumulative=None) for point in ind.monthly]
    return rep, replace(ind, monthly=months)


def test_the_charts_match_their_template() -> None:
    make_records(12)
    compared = 0
    shapes = set()
    for language in ("ja", "en"):
        with translation.override(language):
            for rep, indicators in [(r, r.indicators) for r in _reports()] + [
                (_empty_year()[0], [_empty_year()[1]])
            ]:
                for ind in indicators:
                    chart = line_chart(rep, ind)
                    context = {"report": rep, "ind": ind, "chart": chart}
                    expected = INCLUDE.render(Context(context))
                    assert TAG.render(Context(context)) == expected, (language, rep.label, ind.key)
                    shapes.add((ind.target is None, chart.projection is None, chart.last is None))
                    compared += 1
    assert compared == 2 * (5 * 4 + 1)
    # Both branches of each optional part were compared.
    for part in range(3):
        assert {shape[part] for shape in shapes} == {True, False}, shapes


def test_the_template_and_the_python_are_different_code() -> None:
    """Guard against a comparison of the Python version with itself."""
    source = get_template(chart_html.TEMPLATE).template.source
    assert "{% for tick in chart.y_ticks %}" in source
    assert "kpi_chart" not in source


@pytest.mark.parametrize("unit", ["人", "%", "件 (%)", "<b>&</b>"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_unit_is_translated_as_the_template_tag_translates_it(unit, language) -> None:
    """`{% translate unit context "unit" %}` doubles a % into the message id and makes it one
    again after rendering; the Python label does the same (a review found "%" shown as "%%")."""
    template = Template('{% load i18n %}{% translate unit context "unit" %}')
    with translation.override(language):
        context = Context({"unit": unit})
        assert chart_html._unit_label(unit, context) == template.render(context)
