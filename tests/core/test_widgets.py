"""core.widgets: the project's selects, radio and checkbox groups render as Django's templates
render them, byte for byte, in both languages, and only while those templates are Django's."""

from typing import Any

import pytest
from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cases.filters import CaseFilter
from cases.forms import ConsultationForm
from cases.models import Consultation, IssueTag
from core import widgets
from core.forms import FormRenderer
from tests.factories import CaseFactory

LANGUAGES = ("ja", "en", "ja")


def _html(field: forms.BoundField) -> str:
    return f"{field}\n----\n{field.as_field_group()}"


def _both(form_factory: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """(field, ours, Django's templates') for every field of the form, in each language: the
    widget alone and the project's field group (includes/field.html renders `{{ option.tag }}`
    per option)."""
    built: list[str] = []
    real = widgets.render

    def counted(template_name: str, context: dict[str, Any]) -> str | None:
        html = real(template_name, context)
        if html is not None:
            built.append(template_name)
        return html

    rows = []
    for language in LANGUAGES:
        with translation.override(language):
            form = form_factory()
            monkeypatch.setattr(widgets, "render", counted)
            ours = {name: _html(form[name]) for name in form.fields}
            monkeypatch.setattr(widgets, "render", lambda *args: None)
            templates = {name: _html(form[name]) for name in form.fields}
            monkeypatch.setattr(widgets, "render", real)
        rows += [(f"{language}:{name}", ours[name], templates[name]) for name in ours]
    assert built, "no widget was built in Python: the comparison would prove nothing"
    return rows


class Everything(forms.Form):
    plain = forms.ChoiceField(
        choices=[
            ("", "---------"),
            ("a", _("すべて")),
            ("<&>", 'quote " & <tag>'),
            (_("グループ"), [("g1", mark_safe("<b>safe</b>")), (3, 4000)]),
        ],
        required=False,
    )
    many = forms.MultipleChoiceField(
        choices=[(1, "one"), (2, "two"), ("G", [(3, "three"), (4, "four")])],
        widget=forms.SelectMultiple(attrs={"class": "wide", "data-x": 'a"b', "hidden": True}),
    )
    radio = forms.ChoiceField(
        choices=[("", "none"), (1, _("電話")), (2, "two")],
        widget=forms.RadioSelect(attrs={"class": "radio-row", "aria-describedby": "hint"}),
    )
    boxes = forms.MultipleChoiceField(
        choices=[(1, "one"), ("G", [(2, "two"), (3, "three")])],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        disabled=True,
    )
    unknown = forms.NullBooleanField()
    text = forms.CharField(max_length=5, widget=forms.TextInput(attrs={"type": "search"}))
    number = forms.IntegerField(initial=1234567, widget=forms.NumberInput(attrs={"step": 5}))
    hidden = forms.CharField(widget=forms.HiddenInput, initial=mark_safe("<i>safe</i>"))
    check = forms.BooleanField(initial=True, widget=forms.CheckboxInput(attrs={"class": "c"}))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), initial='<"&>')
    empty_notes = forms.CharField(widget=forms.Textarea, required=False)
    no_id = forms.ChoiceField(choices=[(1, "one")], widget=forms.RadioSelect)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "g1", "many": ["1", "3"], "radio": "2", "boxes": ["2"], "unknown": "true"},
        {"plain": "<&>", "many": ["9"], "radio": "9", "unknown": "false"},
        {"text": 'x"<>', "number": "1.5", "check": "", "notes": "\n<b>", "empty_notes": ""},
        {},
    ],
)
def test_choice_widgets_match_djangos_templates(data, monkeypatch) -> None:
    def build() -> forms.Form:
        form = Everything(data=data)
        form.fields["no_id"].widget.attrs["id"] = ""
        return form

    for name, ours, templates in _both(build, monkeypatch):
        assert ours == templates, name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"status": "open", "age_band": "30s", "o": "-intake_date"},
        {"status": "no-such", "municipality": "999999", "issue_tags": ["1", "2"], "q": "<x>"},
    ],
)
def test_case_list_filter_form_matches(data, counselor, monkeypatch) -> None:
    tags = list(IssueTag.objects.filter(active=True)[:2])
    if data and "issue_tags" in data:
        data = {**data, "issue_tags": [str(tag.pk) for tag in tags]}
    if data and "municipality" in data:
        data = {**data, "municipality": str(counselor.municipalities.first().pk)}
    rows = _both(lambda: CaseFilter(data, user=counselor).form, monkeypatch)
    for name, ours, templates in rows:
        assert ours == templates, name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"date": "R8.4.1", "method": Consultation.Method.VISIT, "with_whom": "x"},
        {"method": "", "duration_minutes": "30", "notes": "<script>"},
    ],
)
def test_record_form_matches(data, counselor, monkeypatch) -> None:
    case = CaseFactory(assigned_counselor=counselor)

    def build() -> forms.Form:
        form = ConsultationForm(data, case=case)
        if data is not None:
            form.is_valid()  # errors and aria-invalid in the attrs
        return form

    for name, ours, templates in _both(build, monkeypatch):
        assert ours == templates, name


def test_an_overridden_template_is_rendered_by_the_templates(monkeypatch) -> None:
    renderer = FormRenderer()
    renderer._django_own[widgets.RADIO] = False  # as if a project template replaced one
    monkeypatch.setattr(widgets, "render", lambda *args: pytest.fail("built in Python"))
    html = Everything(renderer=renderer)["radio"].as_widget()
    assert 'type="radio"' in html


def test_djangos_own_templates_are_recognised() -> None:
    renderer = FormRenderer()
    assert all(renderer._is_django_own(name) for name in widgets.CHAINS)
