"""core.display: get_FOO_display() answers as Django's own, in the language of the moment."""

import pytest
from django.db import models
from django.utils import translation

from cases.models import Case, Consultation


@pytest.mark.parametrize(
    ("model", "field", "values"),
    [
        (Case, "status", [*Case.Status.values, "no-such-status", ""]),
        (Consultation, "method", [*dict(Consultation._meta.get_field("method").choices), "x"]),
    ],
)
def test_display_matches_djangos(model, field, values) -> None:
    instance = model()
    model_field = model._meta.get_field(field)
    for language in ("ja", "en", "ja"):
        with translation.override(language):
            for value in values:
                setattr(instance, model_field.attname, value)
                ours = getattr(instance, f"get_{field}_display")()
                djangos = models.Model._get_FIELD_display(instance, model_field)
                assert ours == djangos
                assert type(ours) is type(djangos)


def test_every_generated_display_method_is_replaced() -> None:
    from functools import partialmethod

    from django.apps import apps

    for model in apps.get_models():
        for name, attr in vars(model).items():
            if name.startswith("get_") and isinstance(attr, partialmethod):
                assert attr.func is not models.Model._get_FIELD_display, (model, name)
