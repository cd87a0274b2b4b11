import datetime as dt

import pytest

from core.fiscal import fiscal_year, fiscal_year_label, fiscal_year_range, short_label


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2024, 3, 31), 2023),
        (dt.date(2024, 4, 1), 2024),
        (dt.date(2021, 12, 31), 2021),
        (dt.date(2022, 1, 1), 2021),
        (dt.date(2019, 4, 1), 2019),
        (dt.date(2019, 3, 31), 2018),
    ],
)
def test_fiscal_year_turns_on_april_first(day: dt.date, fy: int) -> None:
    assert fiscal_year(day) == fy


def test_fiscal_year_range_is_april_to_march() -> None:
    assert fiscal_year_range(2023) == (dt.date(2023, 4, 1), dt.date(2024, 3, 31))


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (2023, "令和5年度（2023年度）"),
        (2021, "令和3年度（2021年度）"),
        (2026, "令和8年度（2026年度）"),
        (2019, "令和元年度（2019年度）"),
        (2018, "平成30年度（2018年度）"),
        (1989, "平成元年度（1989年度）"),
    ],
)
def test_fiscal_year_label(fy: int, label: str) -> None:
    assert fiscal_year_label(fy) == label


def test_short_label_for_case_numbers() -> None:
    assert short_label(2026) == "R8"
    assert short_label(2018) == "H30"
