"""core.field_group: `{% field_group %}` and `{{ field.as_field_group }}` are
templates/includes/field.html, byte for byte (the include's output, and stripped), for the
project's forms bound and unbound, with errors, with the include's options, in both
languages."""

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import mark_safe

from cases.filters import CaseFilter
from cases.forms import CaseEditForm, ConsultationForm, IntakeForm
from cases.models import Consultation, IssueTag
from core import field_group
from kpi.forms import DashboardForm
from kpi.scopes import scopes_for_user
from tests.factories import CaseFactory

INCLUDE = Template(
    '{% include "includes/field.html" with field=field options_class=options_class empty=empty %}'
)
TAG = Template("{% load field_groups %}{% field_group field options_class empty %}")
OPTIONS = [(None, None), ("choice-grid", "<なし>"), ("", "")]


class Everything(forms.Form):
    text = forms.CharField(max_length=40, help_text="<b>hint</b> & more")
    safe_help = forms.CharField(required=False, help_text=mark_safe("<em>safe</em>"))
    hidden = forms.CharField(widget=forms.HiddenInput, max_length=10, required=False)
    agree = forms.BooleanField(help_text="check it")
    quiet = forms.BooleanField(required=False)
    pick = forms.ChoiceField(choices=[("a", "A & a"), ("b", "<b>")], widget=forms.RadioSelect)
    none = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, required=False
    )
    many = forms.MultipleChoiceField(
        choices=[(1, "one"), (2, "two")], widget=forms.CheckboxSelectMultiple, help_text="h"
    )
    select = forms.ChoiceField(choices=[("", "---"), ("x", "X")], label='Label "<q>"')
    number = forms.IntegerField(min_value=0, required=False)
    notes = forms.CharField(widget=forms.Textarea, max_length=1000, required=False)
    initial = forms.CharField(show_hidden_initial=True, initial="i", required=False)


def _compare(build: Callable[[], forms.Form]) -> int:
    compared = 0
    template = get_template(field_group.TEMPLATE)
    for language in ("ja", "en"):
        with translation.override(language):
            form = build()
            for name in form.fields:
                field = form[name]
                for options_class, empty in OPTIONS:
                    context = {"field": field, "options_class": options_class, "empty": empty}
                    expected = INCLUDE.render(Context(context))
                    assert TAG.render(Context(context)) == expected, (language, name, context)
                    compared += 1
                # as_field_group: the renderer's Python version against the template, stripped.
                assert field.as_field_group() == template.render({"field": field}).strip(), (
                    language,
                    name,
                )
    return compared


@pytest.mark.parametrize(
    "data",
    [None, {}, {"text": "x" * 50, "pick": "z", "many": ["1"], "number": "-1", "notes": "<"}],
)
def test_field_group_matches_the_template(data) -> None:
    def build() -> forms.Form:
        form = Everything(data)
        if data is not None:
            form.is_valid()
        return form

    assert _compare(build) == 2 * len(Everything.base_fields) * len(OPTIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"status": "open", "age_band": "30s", "o": "-intake_date", "overdue": "on"},
        {"status": "no-such", "municipality": "999999", "issue_tags": ["1"], "q": "<x>"},
        {"intake_from": "not a date", "issue_tags": "tags"},
    ],
)
def test_case_list_filter_form_matches(data, counselor) -> None:
    if data and data.get("issue_tags") == "tags":
        tags = IssueTag.objects.filter(active=True)[:2]
        data = {**data, "issue_tags": [str(tag.pk) for tag in tags]}

    def build() -> forms.Form:
        form = CaseFilter(data, user=counselor).form
        if data is not None:
            form.is_valid()
        return form

    assert _compare(build)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"date": "R8.4.1", "method": Consultation.Method.VISIT, "with_whom": "x"},
        {"method": "", "duration_minutes": "30", "notes": "<script>" * 500},
    ],
)
def test_project_forms_match(data, counselor) -> None:
    case = CaseFactory(assigned_counselor=counselor)
    builders: list[Callable[[], Any]] = [
        lambda: ConsultationForm(data, case=case),
        lambda: IntakeForm(data, user=counselor),
        lambda: CaseEditForm(data, user=counselor, case=case),
    ]
    for make in builders:

        def build(make: Callable[[], Any] = make) -> forms.Form:
            form = make()
            if data is not None:
                form.is_valid()
            return form  # type: ignore[no-any-return]  # each builder makes a form

        assert _compare(build)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [None, {"fy": "2025", "scope": "pref-39"}, {"fy": "1999", "as_of": "not a date"}]
)
def test_dashboard_form_matches(data, prefecture_staff) -> None:
    """The dashboard's selectors (kpi/dashboard.html renders them with `{% field_group %}`)."""
    scopes = scopes_for_user(prefecture_staff)

    def build() -> forms.Form:
        form = DashboardForm(data, years=[2026, 2025], scopes=scopes)
        if data is not None:
            form.is_valid()
        return form

    assert _compare(build) == 2 * len(DashboardForm.base_fields) * len(OPTIONS)


def test_the_include_and_the_template_tag_are_different_code() -> None:
    """Guard against a comparison of the Python version with itself."""
    form = Everything()
    assert (
        "{% with widget=field.field.widget %}" in get_template(field_group.TEMPLATE).template.source
    )
    assert INCLUDE.render(Context({"field": form["text"]})) == field_group.render(form["text"])
