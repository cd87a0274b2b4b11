"""One `reverse()` for a whole list of links that differ only in their last id.

`{% url %}` or `get_absolute_url()` in a loop resolves the URL pattern again for every row:
~40 µs each, 50 times on the case list (issue #22). `UrlPattern("cases:detail")` reverses once
with a stand-in id and then builds each row's URL by putting the id in its place. Only ids
(ints) are put in, which `reverse()` would not quote either; a stand-in found other than
exactly once in the reversed URL (a script prefix that happened to contain it) is refused.
Build one per request, not at import: the script prefix belongs to the request.

In templates, `{% row_url "cases:detail" case.pk %}` (core/templatetags/links.py) is
`{% url "cases:detail" case.pk %}` with one UrlPattern per URL name and fixed arguments for
the whole page (`page_pattern`), includes and all.
"""

from typing import Any

from django.urls import reverse

_STAND_IN = 918_273_645_546_372


class UrlPattern:
    def __init__(self, name: str, *args: Any) -> None:
        url = reverse(name, args=[*args, _STAND_IN])
        parts = url.split(str(_STAND_IN))
        if len(parts) != 2:
            raise ValueError(f"{name}: the stand-in id is not in {url!r} exactly once")
        self.head, self.tail = parts

    def __call__(self, pk: int) -> str:
        """reverse(name, args=[*args, pk])."""
        return f"{self.head}{int(pk)}{self.tail}"


def page_pattern(context: Any, name: str, *args: Any) -> UrlPattern:
    """The UrlPattern for `name` and `args`, one per rendered page.

    Kept in the bottom layer of the page's render context: every template of the page (the
    page, the templates it extends and includes) shares it, where the top layer, which
    `render_context.get()` reads, is each included template's own and would reverse once per
    include. The render context lives as long as the page's render: a new page, a new one.
    """
    patterns = context.render_context.dicts[0]
    key = ("core.links.page_pattern", name, *args)
    pattern = patterns.get(key)
    if pattern is None:
        pattern = patterns[key] = UrlPattern(name, *args)
    return pattern  # type: ignore[no-any-return]  # put there just above
