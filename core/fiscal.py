"""Japanese fiscal years (年度): 1 April to 31 March, labelled by era and Western year.

FY2019 is 令和元年度 (the first year of an era is 元, not 1); FY2018 and earlier are 平成.
"""

import datetime as dt

REIWA_FIRST_FY = 2019
HEISEI_FIRST_FY = 1989


def fiscal_year(day: dt.date) -> int:
    """The fiscal year a date falls in: 2024-03-31 → 2023, 2024-04-01 → 2024."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_range(fy: int) -> tuple[dt.date, dt.date]:
    """First and last day (both inclusive) of a fiscal year."""
    return dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)


def era_parts(fy: int) -> tuple[str, str, int]:
    """(era name, era letter, year in era) for a fiscal year."""
    if fy >= REIWA_FIRST_FY:
        return "令和", "R", fy - REIWA_FIRST_FY + 1
    if fy >= HEISEI_FIRST_FY:
        return "平成", "H", fy - HEISEI_FIRST_FY + 1
    raise ValueError(f"fiscal year {fy} is before the Heisei era")


def era_label(fy: int) -> str:
    """`令和5年度`, `令和元年度`, `平成30年度`."""
    era, _letter, year = era_parts(fy)
    return f"{era}{'元' if year == 1 else year}年度"


def fiscal_year_label(fy: int) -> str:
    """`令和5年度（2023年度）`."""
    return f"{era_label(fy)}（{fy}年度）"


def short_label(fy: int) -> str:
    """`R5`, `H30`: used in case numbers."""
    _era, letter, year = era_parts(fy)
    return f"{letter}{year}"


def current_fiscal_year(today: dt.date | None = None) -> int:
    from django.utils import timezone

    return fiscal_year(today or timezone.localdate())


def months_of(fy: int) -> list[tuple[int, int]]:
    """(year, month) pairs from April to March."""
    return [(fy, m) for m in range(4, 13)] + [(fy + 1, m) for m in range(1, 4)]
