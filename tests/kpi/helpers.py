"""Helpers for the KPI tests: a report for a scope token, and records on given dates."""

import datetime as dt
from typing import Any

from cases.models import Case
from core.codes import check_digit
from core.models import Jurisdiction, Municipality
from kpi.scopes import scope_from_token
from kpi.selectors import Report, kpi_report
from referrals.models import EmploymentOutcome, Referral
from tests.factories import (
    CaseFactory,
    EmploymentOutcomeFactory,
    PersonFactory,
    ReferralFactory,
    ResourceFactory,
    ResourceKindFactory,
)


def report(fy: int = 2023, scope: str = "pref", as_of: dt.date | None = None) -> Report:
    return kpi_report(fy, scope_from_token(scope), as_of)


def value(key: str, fy: int = 2023, scope: str = "pref", as_of: dt.date | None = None) -> int:
    return report(fy, scope, as_of).indicator(key).value


def muni(code: str) -> Municipality:
    return Municipality.objects.get(code=code)


def case_in(code: str = "392014", intake: dt.date = dt.date(2023, 6, 1), **kw: Any) -> Case:
    person = kw.pop("person", None) or PersonFactory(municipality=muni(code))
    return CaseFactory(person=person, municipality=muni(code), intake_date=intake, **kw)


def link(
    code: str = "392014",
    connected: dt.date | None = dt.date(2023, 7, 1),
    *,
    ibasho: bool = True,
    case: Case | None = None,
) -> Referral:
    """A referral to an ibasho (or another kind of resource), connected on a date or not."""
    case = case or case_in(code, intake=dt.date(2022, 4, 1))
    kind = (
        ResourceKindFactory()
        if ibasho
        else ResourceKindFactory(code="medical", name_ja="医療機関", counts_as_ibasho=False)
    )
    if connected is None:
        return ReferralFactory(case=case, resource=ResourceFactory(kind=kind))
    return ReferralFactory(
        case=case,
        resource=ResourceFactory(kind=kind),
        status=Referral.Status.CONNECTED,
        connected_on=connected,
    )


def employment(
    case: Case | None = None,
    started: dt.date = dt.date(2023, 10, 1),
    *,
    after_intermediate: bool = True,
    code: str = "392014",
) -> EmploymentOutcome:
    case = case or case_in(code, intake=dt.date(2022, 4, 1))
    return EmploymentOutcomeFactory(
        case=case, person=case.person, started_on=started, after_intermediate=after_intermediate
    )


def other_prefecture(
    prefecture_code: str = "36", names: tuple[str, ...] = ("徳島市", "鳴門市", "小松島市")
) -> list[Municipality]:
    """A few municipalities of another prefecture (the reference data holds only Kochi's),
    with valid check-digit codes: 36201x, 36202x, … in one jurisdiction."""
    jurisdiction = Jurisdiction.objects.create(
        prefecture_code=prefecture_code, name_ja=f"{prefecture_code}テスト保健所"
    )
    result = []
    for n, name in enumerate(names, start=1):
        first_five = f"{prefecture_code}2{n:02d}"
        result.append(
            Municipality.objects.create(
                code=f"{first_five}{check_digit(first_five)}",
                prefecture_code=prefecture_code,
                name_ja=name,
                kind=Municipality.Kind.CITY,
                jurisdiction=jurisdiction,
            )
        )
    return result
