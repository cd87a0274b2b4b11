"""`{{ value }}` in Python: for the markup built in Python beside its template, byte for byte
(core.widgets, core.field_group, the case list's, the case page's and the home page's rows in
cases_tags and referrals_tags; each template stays the definition and its test compares both).
"""

from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.translation import ngettext

# What `render_value_in_context` reads from a template context (the defaults of one).
DEFAULT_CONTEXT: Any = SimpleNamespace(autoescape=True, use_l10n=None, use_tz=None)


def template_text(value: Any, context: Any = DEFAULT_CONTEXT) -> str:
    """`{{ value }}` in `context`: localised, then escaped unless safe (a plain str, the common
    case, is only escaped: localize() and template_localtime() leave it as it is; an int
    without thousand separators is its digits, which localize() gives after reading three
    locale formats: a dashboard renders hundreds)."""
    if type(value) is str:
        return escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return render_value_in_context(value, context)


def counted(
    singular: str, plural: str, name: str, count: int, context: Any = DEFAULT_CONTEXT
) -> str:
    """`{% blocktranslate count name=count %}singular{% plural %}plural{% endblocktranslate %}`,
    the msgids spelled with `%(name)s` as the tag spells them."""
    return ngettext(singular, plural, count) % {name: template_text(count, context)}
