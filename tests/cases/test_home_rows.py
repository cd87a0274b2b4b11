"""The home page's case rows rendered in Python (`{% my_cases_row %}`, `{% no_contact_row %}`,
`{% recent_row %}`, `{% follow_up_row %}`, cases/templatetags/cases_tags.py) are their
templates, cases/_home_*_row.html, byte for byte: for rows of every shape the templates know,
in both languages and both date styles."""

import datetime as dt
import itertools
from typing import Any

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import translation

from cases.models import Case, Consultation
from core.dates import WAREKI, WESTERN
from tests.cases.test_case_row import PEOPLE, use_style
from tests.factories import CaseFactory, ConsultationFactory, PersonFactory

TODAY = dt.date(2026, 12, 2)


def _compare(tag: str, name: str, obj_name: str, obj: Any, variants: list[dict[str, Any]]) -> int:
    """Render the row template and the tag for `obj` with each variant's attribute changes,
    every person shape, both languages and both date styles; returns how many compared."""
    template = get_template(f"cases/_home_{name}_row.html")
    ours = Template(f"{{% load cases_tags %}}{{% {tag} {obj_name} %}}")
    person = obj.case.person if isinstance(obj, Consultation) else obj.person
    compared = 0
    for changes in variants:
        for attr, value in changes.items():
            setattr(obj, attr, value)
        for language, style, shape in itertools.product(("ja", "en"), (WAREKI, WESTERN), PEOPLE):
            for attr, value in shape.items():
                setattr(person, attr, value)
            with translation.override(language), use_style(style):
                expected = template.render({obj_name: obj})
                got = ours.render(Context({obj_name: obj}))
            assert got == expected, (tag, changes, language, style, shape)
            assert "<tr>" in got
            compared += 1
    return compared


@pytest.fixture
def home_case(counselor, kochi_city) -> Case:
    case = CaseFactory(person=PersonFactory(municipality=kochi_city), assigned_counselor=counselor)
    case.last_seen_on = TODAY - dt.timedelta(days=100)
    case.next_action_on = TODAY
    return case


STATUSES = [{"status": status} for status in Case.Status]


def test_my_cases_row(home_case) -> None:
    variants = [*STATUSES, {"next_action_on": None}, {"number": "<b>\"&'"}]
    assert _compare("my_cases_row", "my_cases", "case", home_case, variants) == len(
        variants
    ) * 4 * len(PEOPLE)


def test_no_contact_row(home_case) -> None:
    variants = [
        {"days_silent": 1},
        {"days_silent": 1234, "status": "suspended"},
        {"number": "<i>&"},
    ]
    assert _compare("no_contact_row", "no_contact", "case", home_case, variants) == 3 * 4 * len(
        PEOPLE
    )


def test_follow_up_row(home_case) -> None:
    variants = [
        {
            "days_overdue": 0,
            "with_whom_label": "",
            "last_with_whom": None,
            "next_action_text": None,
        },
        {
            "days_overdue": 3,
            "with_whom_label": "家族",
            "last_with_whom": "family",
            "next_action_text": "電話 <する> & 訪問",
        },
        {
            "days_overdue": 1,
            "with_whom_label": "<本人>",
            "last_with_whom": "person",
            "next_action_text": "",
            "number": "<b>\"&'",
        },
        {"days_overdue": 1500, "with_whom_label": "", "next_action_on": TODAY - dt.timedelta(1500)},
    ]
    assert _compare("follow_up_row", "follow_ups", "case", home_case, variants) == 4 * 4 * len(
        PEOPLE
    )


def test_recent_row(home_case, counselor) -> None:
    consultation = ConsultationFactory(case=home_case, recorded_by=counselor)
    c = Consultation.objects.select_related("case__person", "recorded_by").get(pk=consultation.pk)
    variants = [
        {},
        {"recorded_by": None, "method": "home_visit", "with_whom": "person_family"},
        {"method": "email", "with_whom": "agency", "date": TODAY - dt.timedelta(days=29)},
    ]
    counselor.display_name = "<相談員> & 1"
    variants.append({"recorded_by": counselor})
    assert _compare("recent_row", "recent", "c", c, variants) == 4 * 4 * len(PEOPLE)
