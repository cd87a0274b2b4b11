"""Fixtures for the cases tests: cases opened the way the app opens them (`case_open`)."""

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case, Consultation, IssueTag, Person
from cases.rules import ConsultationInput, PersonInput

TAGS = [("8050", "8050問題"), ("young-carer", "ヤングケアラー"), ("poverty", "生活困窮")]


@pytest.fixture
def tags(db) -> dict[str, IssueTag]:
    """Issue tags (seeded by migration, but flushed by transactional tests: make sure)."""
    return {
        code: IssueTag.objects.get_or_create(code=code, defaults={"name_ja": name})[0]
        for code, name in TAGS
    }


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def open_case(
    user: Any,
    municipality: Any,
    *,
    intake_date: dt.date | None = None,
    person: Person | None = None,
    kana: str = "やまだ たろう",
    name: str = "山田 太郎",
    birth_year: int | None = 1975,
    **kwargs: Any,
) -> Case:
    intake_date = intake_date or days_ago(30)
    return services.case_open(
        user=user,
        municipality=municipality,
        intake_date=intake_date,
        intake_route=Case.Route.FAMILY,
        visitor=Case.Visitor.FAMILY,
        consultation=ConsultationInput(
            date=intake_date,
            method=Consultation.Method.PHONE,
            with_whom=Consultation.WithWhom.FAMILY,
            notes="母親から電話。",
        ),
        submission_token=uuid.uuid4(),
        person=person,
        new_person=None if person else PersonInput(name=name, kana=kana, birth_year=birth_year),
        assigned_counselor=kwargs.pop("assigned_counselor", user),
        **kwargs,
    )


@pytest.fixture
def case(counselor, kochi_city) -> Case:
    """高知市's open case, assigned to `counselor`, opened 30 days ago."""
    return open_case(counselor, kochi_city)


@pytest.fixture
def muroto_case(aki_counselor, muroto) -> Case:
    """A 室戸市 case: outside the 高知市 counselor's scope."""
    return open_case(aki_counselor, muroto, kana="むろと はなこ", name="室戸 花子")
