"""The database itself refuses dates out of order and a second open referral.

These write around the services on purpose: the constraints must hold even for a bug, a
script or a data import that skips them. Run on SQLite and PostgreSQL alike.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from referrals.models import EmploymentOutcome, Referral
from tests.factories import EmploymentOutcomeFactory, ReferralFactory

DAY = dt.date(2023, 7, 10)
BEFORE = DAY - dt.timedelta(days=1)


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            ReferralFactory(proposed_on=DAY, **fields)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    "fields",
    [
        # 調整中 before 提案
        {"status": "arranging", "arranging_on": BEFORE},
        # つながった before 調整中
        {"status": "connected", "arranging_on": DAY, "connected_on": BEFORE},
        # つながった (direct) before 提案
        {"status": "connected", "connected_on": BEFORE},
        # 終了 before つながった
        {"status": "ended", "connected_on": DAY, "ended_on": BEFORE},
        # 不成立 before 調整中
        {
            "status": "not_realised",
            "arranging_on": DAY,
            "not_realised_on": BEFORE,
            "not_realised_reason": "declined",
        },
    ],
    ids=["arranging<proposed", "connected<arranging", "connected<proposed", "ended<connected",
         "not_realised<arranging"],
)  # fmt: skip
def test_database_refuses_a_date_before_the_previous_step(kochi, fields) -> None:
    assert refused(**fields)
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        # A connection date on a referral that never connected (what target three counts).
        {"status": "proposed", "connected_on": DAY},
        {"status": "arranging", "arranging_on": DAY, "connected_on": DAY},
        {"status": "not_realised", "not_realised_on": DAY, "not_realised_reason": "declined",
         "connected_on": DAY},
        # Connected or ended without the date.
        {"status": "connected"},
        {"status": "ended", "connected_on": DAY},
        # 調整中 without its date, 不成立 without a reason.
        {"status": "arranging"},
        {"status": "not_realised", "not_realised_on": DAY},
        # A reason on a referral that is not 不成立.
        {"status": "proposed", "not_realised_reason": "declined"},
    ],
)  # fmt: skip
def test_database_refuses_dates_that_do_not_match_the_status(kochi, fields) -> None:
    assert refused(**fields)


def test_database_accepts_the_same_day_for_every_step(kochi) -> None:
    assert not refused(status="ended", arranging_on=DAY, connected_on=DAY, ended_on=DAY)


def test_database_refuses_a_second_open_referral_for_the_same_case_and_resource(kochi) -> None:
    first = ReferralFactory(proposed_on=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralFactory(case=first.case, resource=first.resource, proposed_on=DAY,
                        status="arranging", arranging_on=DAY)  # fmt: skip
    assert Referral.objects.count() == 1


def test_database_allows_a_new_referral_once_the_old_one_is_closed(kochi) -> None:
    first = ReferralFactory(
        proposed_on=DAY, status="not_realised", not_realised_on=DAY, not_realised_reason="capacity"
    )
    ReferralFactory(case=first.case, resource=first.resource, proposed_on=DAY)
    ReferralFactory(
        case=first.case, resource=first.resource, proposed_on=DAY - dt.timedelta(days=400),
        status="ended", connected_on=BEFORE, ended_on=BEFORE,
    )  # fmt: skip
    assert Referral.objects.count() == 3


def test_database_refuses_a_manual_judgement_without_a_reason(kochi) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentOutcomeFactory(
            after_intermediate=True, after_intermediate_source="manual", manual_reason=""
        )
    assert not EmploymentOutcome.objects.exists()


def test_database_refuses_an_automatic_yes_without_its_referral(kochi) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        EmploymentOutcomeFactory(after_intermediate=True, after_intermediate_source="auto")


def test_a_referral_carries_its_cases_municipality(db, kochi, counselor) -> None:
    """The copy that scope filters read: set from the case by save() (the service, the
    factory). bulk_create skips save(): the demo data's test and the database trigger
    (tests/referrals/test_municipality_guard.py) cover that path."""
    from referrals import services
    from tests.factories import CaseFactory, ResourceFactory

    case = CaseFactory()
    proposed = services.referral_propose(
        case=case, resource=ResourceFactory(), proposed_on=case.intake_date, user=counselor
    )
    assert proposed.municipality_id == case.municipality_id
    made = ReferralFactory()
    made.refresh_from_db()
    assert made.municipality_id == made.case.municipality_id


def test_an_employment_outcome_carries_its_cases_municipality(db, kochi, counselor) -> None:
    from referrals import services
    from referrals.models import EmploymentOutcome
    from tests.factories import CaseFactory, EmploymentOutcomeFactory

    case = CaseFactory()
    recorded = services.employment_record(
        case=case,
        started_on=case.intake_date,
        employment_type=EmploymentOutcome.EmploymentType.PART_TIME,
        user=counselor,
    )
    assert recorded.municipality_id == case.municipality_id
    made = EmploymentOutcomeFactory()
    made.refresh_from_db()
    assert made.municipality_id == made.case.municipality_id
