"""The case page's consultation entry rendered in Python (`{% timeline_entry %}`) is
templates/cases/_consultation_entry.html with its includes, byte for byte, for consultations
of every shape, in both languages and date styles; other entries still go through their
templates."""

import datetime as dt
import itertools
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from cases.timeline import TimelineEntry, case_timeline
from core.dates import WAREKI, WESTERN
from tests.cases.test_case_row import use_style
from tests.factories import CaseFactory, ConsultationFactory

INCLUDE = Template(
    "{% for entry in timeline %}"
    "{% include entry.template with obj=entry.obj entry=entry %}{% endfor %}"
)
TAG = Template(
    "{% load cases_tags %}{% for entry in timeline %}{% timeline_entry entry %}{% endfor %}"
)

LONG = '一行目 <b>太字</b> & "引用"\n二行目\r\n' + "長い記録。" * 60


def _variants(counselor: Any) -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {},
        {"voided_at": now, "voided_by": counselor, "void_reason": "誤登録 <x>"},
        {"voided_at": now, "voided_by": None, "void_reason": ""},
        {"notes": LONG},
        {"notes": "x" * 200},
        {"notes": "x" * 201},
        {"notes": "", "duration_minutes": None, "recorded_by": None},
        {"next_action": "電話 <再>", "next_action_date": None},
        {"next_action": "", "next_action_date": dt.date(2026, 12, 24)},
        {"next_action": "訪問", "next_action_date": dt.date(2019, 4, 30), "duration_minutes": 1234},
    ]


@pytest.mark.django_db
def test_consultation_entry_renders_as_its_templates(counselor) -> None:
    case = CaseFactory(assigned_counselor=counselor)
    consultations = []
    for changes in _variants(counselor):
        consultation = ConsultationFactory(case=case, recorded_by=counselor)
        for attr, value in changes.items():
            setattr(consultation, attr, value)
        consultations.append(consultation)
    timeline = [
        TimelineEntry(
            date=c.date, kind="consultation", template="cases/_consultation_entry.html", obj=c
        )
        for c in consultations
    ]
    compared = 0
    for language, style in itertools.product(("ja", "en"), (WAREKI, WESTERN)):
        with translation.override(language), use_style(style):
            context = {"case": case, "timeline": timeline}
            expected = INCLUDE.render(Context(context))
            assert "consultation-" in expected
            assert TAG.render(Context(context)) == expected, (language, style)
            compared += 1
    assert compared == 4


@pytest.mark.django_db
def test_other_entries_render_through_their_templates(counselor, kochi_city) -> None:
    from tests.cases.conftest import open_case

    case = open_case(counselor, kochi_city)  # a status entry (受付) and a consultation
    timeline = case_timeline(case)
    assert {e.kind for e in timeline} >= {"status", "consultation"}
    context = {"case": case, "timeline": timeline}
    assert TAG.render(Context(context)) == INCLUDE.render(Context(context))
