"""`{% elided_page_range page as pages %}`: page numbers with … gaps, for the one pagination
partial (templates/includes/pagination.html)."""

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def elided_page_range(page: Any) -> list[Any]:
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
