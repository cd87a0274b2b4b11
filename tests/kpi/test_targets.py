"""Targets as data: fallback to the latest earlier year, K2 "all municipalities", status."""

import datetime as dt

import pytest

from core.models import Jurisdiction
from kpi.models import Baseline, Indicator, Target
from kpi.selectors import Status, project, status_of
from tests.kpi.helpers import case_in, muni, report

K1 = Indicator.NEW_CONSULTATIONS
K2 = Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS
K3 = Indicator.IBASHO_LINKS
K4 = Indicator.EMPLOYED_AFTER_INTERMEDIATE

pytestmark = pytest.mark.django_db


def targets(fy: int, scope: str = "pref") -> dict[str, int | None]:
    return {i.key: i.target for i in report(fy, scope, as_of=dt.date(fy, 4, 1)).indicators}


def test_seeded_r5_targets(kochi) -> None:
    assert targets(2023) == {K1: 200, K2: 34, K3: 100, K4: 10}


def test_target_holds_for_later_years_until_changed(kochi) -> None:
    assert targets(2025) == {K1: 200, K2: 34, K3: 100, K4: 10}
    Target.objects.create(prefecture_code="39", fiscal_year=2026, indicator=K1, value=250)
    assert targets(2025)[K1] == 200
    assert targets(2026)[K1] == 250
    assert targets(2027)[K1] == 250
    assert report(2027, as_of=dt.date(2027, 4, 1)).indicator(K1).target_from_year == 2026


def test_no_target_before_the_first_stored_year(kochi) -> None:
    assert targets(2022) == {K1: None, K2: None, K3: None, K4: None}
    result = report(2022).indicator(K1)
    assert (result.status, result.share) == (None, None)


def test_k2_all_municipalities_follows_the_scope(kochi) -> None:
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    assert targets(2023, str(aki.pk))[K2] == 9
    assert targets(2023, "392014")[K2] == 1


def test_prefecture_numbers_do_not_apply_to_a_municipality(kochi) -> None:
    assert targets(2023, "392014")[K1] is None
    Target.objects.create(
        prefecture_code="39", municipality=muni("392014"), fiscal_year=2023, indicator=K1, value=60
    )
    assert targets(2024, "392014")[K1] == 60
    assert targets(2024)[K1] == 200


def test_k2_numeric_target_is_used_as_stored(kochi) -> None:
    Target.objects.create(prefecture_code="39", fiscal_year=2024, indicator=K2, value=30)
    assert targets(2024)[K2] == 30
    assert targets(2024, "392014")[K2] is None  # 30 municipalities is no municipality's target


def test_target_value_required_except_k2(kochi) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(prefecture_code="39", fiscal_year=2030, indicator=K1, value=None)


def test_one_target_per_year_indicator_and_scope(kochi) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(prefecture_code="39", fiscal_year=2023, indicator=K3, value=5)


def test_seeded_baselines(kochi) -> None:
    result = report(2023)
    assert result.indicator(K1).baseline.value == 211
    assert result.indicator(K1).baseline.label == "R3.4〜12月"
    assert result.indicator(K4).baseline.label == "令和3年度"
    assert result.indicator(K2).baseline.value == 10  # R1
    assert result.indicator(K3).baseline.value == 119
    assert result.indicator(K4).baseline.value == 2
    figures = {k: b.value for k, b in result.secondary.baselines.items()}
    assert figures == {
        "survey_persons": 692,
        "needs_assessed": 9,
        "platforms": 14,
        "supervised_meetings": 10,
        "prefecture_ibasho": 6,
        "work_support_sites": 1,
    }
    assert Baseline.objects.count() == 10


# --- projection and status ------------------------------------------------------------------


def test_projection_is_linear_in_elapsed_days() -> None:
    assert project(50, elapsed_days=183, days_in_year=366) == 100
    assert project(49, elapsed_days=183, days_in_year=366) == 98
    assert project(7, elapsed_days=366, days_in_year=366) == 7
    assert project(0, elapsed_days=0, days_in_year=365) is None


def test_k2_projection_is_capped_at_the_municipalities_in_scope() -> None:
    assert project(30, elapsed_days=100, days_in_year=365, cap=34) == 34


def test_status_rule() -> None:
    assert status_of(200, 200, 200) == Status.ACHIEVED
    assert status_of(120, 200, 210) == Status.ON_TRACK
    assert status_of(120, 200, 199) == Status.AT_RISK
    assert status_of(5, None, 10) is None


def test_status_on_a_report_at_half_year(kochi) -> None:
    # 2023-09-30 is day 183 of FY2023 (366 days): 100 cases → 200 projected = on track.
    for i in range(100):
        case_in(intake=dt.date(2023, 4, 1) + dt.timedelta(days=i))
    k1 = report(as_of=dt.date(2023, 9, 30)).indicator(K1)
    assert (k1.value, k1.projected, k1.share_percent, k1.status) == (100, 200, 50, "on_track")
    assert k1.status_label == "順調"
    k1 = report(as_of=dt.date(2023, 10, 31)).indicator(K1)
    assert (k1.projected, k1.status) == (171, "at_risk")


def test_past_year_projection_is_the_actual_value(kochi) -> None:
    case_in(intake=dt.date(2023, 6, 1))
    k1 = report(2023, as_of=dt.date(2030, 1, 1))
    assert k1.as_of == dt.date(2024, 3, 31)
    assert k1.indicator(K1).projected == 1
    assert k1.complete


def test_comparison_covers_three_full_past_years(kochi) -> None:
    case_in(intake=dt.date(2021, 3, 31))  # FY2020
    case_in(intake=dt.date(2022, 3, 31))  # FY2021, after Dec 31
    case_in(intake=dt.date(2023, 1, 15))  # FY2022
    case_in(intake=dt.date(2023, 12, 1))  # FY2023 after as_of
    result = report(2023, as_of=dt.date(2023, 11, 30))
    rows = [(y.fiscal_year, y.values[K1], y.targets[K1], y.complete) for y in result.comparison]
    assert rows == [
        (2020, 1, None, True),
        (2021, 1, None, True),
        (2022, 1, None, True),
        (2023, 0, 200, False),
    ]
