"""`get_FOO_display()` without hashing every choice label on every call.

Django's `Model._get_FIELD_display` rebuilds `dict(make_hashable(field.flatchoices))` on each
call, and hashing a lazy label translates it: a 10-choice field costs 10 gettext calls per
`{{ case.get_age_band_at_intake_display }}`. The case list's 50 rows made 750 such calls, a
tenth of the page's CPU (scripts/profile_pages.py --profile). `install()` (core.apps) gives
every model's generated `get_FOO_display` this version, which builds that dict once per field
(its labels stay lazy, so it is still translated per request) and otherwise answers exactly
as Django does. Explicit `get_FOO_display` methods on a model are left alone, and so are
fields whose choices are a callable (they may change between calls).
"""

from functools import partialmethod
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_CACHE_ATTR = "_display_choices"


def _choices_dict(field: Any) -> dict[Any, Any]:
    choices = field.choices
    cached = field.__dict__.get(_CACHE_ATTR)
    if cached is not None and cached[0] is choices:
        return cached[1]  # type: ignore[no-any-return]  # the pair kept on the field by us below
    mapping = dict(make_hashable(field.flatchoices))
    if isinstance(choices, list | tuple):  # not a callable's iterator: fixed for good
        setattr(field, _CACHE_ATTR, (choices, mapping))
    return mapping


def get_field_display(instance: models.Model, field: Any) -> Any:
    value = getattr(instance, field.attname)
    return force_str(_choices_dict(field).get(make_hashable(value), value), strings_only=True)


def install() -> None:
    original = models.Model._get_FIELD_display  # type: ignore[attr-defined]  # private in the stubs
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if not getattr(field, "choices", None) or not getattr(field, "concrete", False):
                continue
            name = f"get_{field.name}_display"
            method = model.__dict__.get(name)
            if isinstance(method, partialmethod) and method.func is original:
                setattr(model, name, partialmethod(get_field_display, field=field))
