import datetime as dt

import pytest

from referrals.models import Referral, ResourceKind
from tests.factories import CaseFactory, ReferralFactory, ResourceFactory, ResourceKindFactory

INTAKE = dt.date(2023, 6, 1)


@pytest.fixture
def case(counselor):
    """A 高知市 case assigned to `counselor`."""
    return CaseFactory(intake_date=INTAKE, assigned_counselor=counselor)


@pytest.fixture
def ibasho(kochi):
    return ResourceFactory(name="テストの居場所", kind=ResourceKindFactory(code="ibasho"))


@pytest.fixture
def training_kind(kochi) -> ResourceKind:
    return ResourceKindFactory(
        code="work_training", name_ja="就労訓練・中間的就労", counts_as_ibasho=False,
        is_work_training=True,
    )  # fmt: skip


@pytest.fixture
def training_site(training_kind):
    return ResourceFactory(name="テストの就労訓練", kind=training_kind)


@pytest.fixture
def referral(case, ibasho) -> Referral:
    """A proposed referral with its first transition, as `referral_propose` leaves it."""
    referral = ReferralFactory(case=case, resource=ibasho, proposed_on=dt.date(2023, 7, 1))
    referral.transitions.create(to_status="proposed", on=referral.proposed_on)
    return referral
