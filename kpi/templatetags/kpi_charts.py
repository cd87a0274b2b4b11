from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from kpi import area_html, chart_html

register = template.Library()


@register.simple_tag(takes_context=True)
def kpi_chart(context: Any, ind: Any, chart: Any) -> SafeString:
    """`{% include "kpi/_chart.html" %}` for `ind` and `chart`, byte for byte, built in Python
    (kpi.chart_html; tests/kpi/test_chart_html.py holds them equal)."""
    return mark_safe(chart_html.render(context, ind, chart))  # escaped as the template escapes


@register.simple_tag(takes_context=True)
def kpi_area_row(context: Any, row: Any) -> SafeString:
    """`{% include "kpi/_area_row.html" %}` for `row`, byte for byte, built in Python
    (kpi.area_html; tests/kpi/test_area_html.py holds them equal)."""
    return mark_safe(area_html.render(context, row))  # escaped as the template escapes


@register.simple_tag(takes_context=True)
def kpi_programme_row(context: Any, m: Any) -> SafeString:
    """`{% include "programme/_municipality_row.html" %}` for `m`, byte for byte, built in
    Python (kpi.area_html; tests/kpi/test_area_html.py holds them equal)."""
    return mark_safe(area_html.programme_row(context, m))  # escaped as the template escapes
