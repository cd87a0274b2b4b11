"""`{% row_url "app:name" fixed_arg… pk %}`: `{% url %}` for a link repeated on every row of a
list, built from one `reverse()` per page (core.links.page_pattern). The last argument is the
row's id (an int); any before it are the same for every row."""

from typing import Any

from django import template

from core.links import page_pattern

register = template.Library()


@register.simple_tag(takes_context=True)
def row_url(context: Any, name: str, *args: Any) -> str:
    *fixed, pk = args
    return page_pattern(context, name, *fixed)(pk)
