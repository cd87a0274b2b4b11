"""The municipality copies that scope filters read (Referral.municipality,
EmploymentOutcome.municipality) can only be their case's, and a case never moves: the database
refuses anything else (referrals/migrations/0006), on PostgreSQL and on SQLite."""

import pytest
from django.db import DatabaseError, transaction

from cases.models import Case
from core.models import Municipality
from referrals.models import EmploymentOutcome, Referral
from tests.factories import (
    CaseFactory,
    EmploymentOutcomeFactory,
    ReferralFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db


def another_municipality(case: Case) -> Municipality:
    return Municipality.objects.exclude(pk=case.municipality_id).order_by("code").first()


def test_a_referral_cannot_carry_another_municipality(kochi) -> None:
    referral = ReferralFactory()
    elsewhere = another_municipality(referral.case)
    with pytest.raises(DatabaseError, match="municipality"), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(municipality=elsewhere)
    # bulk_create skips save() (which always copies the case's): the database still refuses.
    wrong = ReferralFactory.build(
        case=CaseFactory(), resource=ResourceFactory(), municipality=elsewhere
    )
    with pytest.raises(DatabaseError, match="municipality"), transaction.atomic():
        Referral.objects.bulk_create([wrong])
    # save() puts the case's municipality in place of a wrong one.
    fixed = ReferralFactory(case=CaseFactory(), municipality=elsewhere)
    assert fixed.municipality_id == fixed.case.municipality_id
    referral.refresh_from_db()
    assert referral.municipality_id == referral.case.municipality_id


def test_an_employment_outcome_cannot_carry_another_municipality(kochi) -> None:
    outcome = EmploymentOutcomeFactory()
    elsewhere = another_municipality(outcome.case)
    with pytest.raises(DatabaseError, match="municipality"), transaction.atomic():
        EmploymentOutcome.objects.filter(pk=outcome.pk).update(municipality=elsewhere)
    outcome.refresh_from_db()
    assert outcome.municipality_id == outcome.case.municipality_id


def test_a_case_never_changes_municipality(kochi) -> None:
    case = ReferralFactory().case
    elsewhere = another_municipality(case)
    with pytest.raises(DatabaseError, match="never changes municipality"), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(municipality=elsewhere)
    Case.objects.filter(pk=case.pk).update(status=case.status)  # other changes are fine
    case.refresh_from_db()
    assert Referral.objects.get(case=case).municipality_id == case.municipality_id
