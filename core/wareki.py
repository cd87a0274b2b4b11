"""Dates and years in the Japanese era calendar (和暦) as well as the Western one.

Municipal forms and ledgers write dates as 令和8年12月2日, R8.12.2 or H31.4.1 and birth years as
S60 or 昭和60. The one parser for them, used by the form fields (`core.forms`) and the ledger
import; and the one formatter for display (`core.templatetags.dates`).
"""

import datetime as dt
import re
import unicodedata
from typing import NamedTuple


class Era(NamedTuple):
    name: str
    letter: str
    first_day: dt.date


# Newest first. The first day is the day the era began (the previous era ends the day before).
ERAS = (
    Era("令和", "R", dt.date(2019, 5, 1)),
    Era("平成", "H", dt.date(1989, 1, 8)),
    Era("昭和", "S", dt.date(1926, 12, 25)),
    Era("大正", "T", dt.date(1912, 7, 30)),
    Era("明治", "M", dt.date(1868, 1, 25)),
)
_BY_KEY = {key: era for era in ERAS for key in (era.name, era.letter)}

_ERA = r"(?P<era>令和|平成|昭和|大正|明治|[RHSTM])\s*(?P<year>\d{1,2}|元)"
_ERA_DATE_RE = re.compile(
    _ERA + r"\s*(?:年|[./\-])\s*(?P<month>\d{1,2})\s*(?:月|[./\-])\s*(?P<day>\d{1,2})\s*日?$"
)
_WESTERN_DATE_RE = re.compile(
    r"(?P<year>\d{4})\s*(?:年|[./\-])\s*(?P<month>\d{1,2})\s*(?:月|[./\-])\s*(?P<day>\d{1,2})\s*日?$"
)
_COMPACT_DATE_RE = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
_ERA_YEAR_RE = re.compile(_ERA + r"\s*年?(?:生まれ)?$")
_WESTERN_YEAR_RE = re.compile(r"(?P<year>\d{4})\s*年?(?:生まれ)?$")


def _normalise(value: str) -> str:
    # NFKC folds full-width digits, letters and the era ligatures (㋿ ㍻ ㍼ → 令和 平成 昭和).
    return unicodedata.normalize("NFKC", value).strip().upper()


def _era_year(era_key: str, year: str) -> tuple[Era, int]:
    era = _BY_KEY[era_key]
    number = 1 if year == "元" else int(year)
    if number < 1:
        raise ValueError("era year 0")
    return era, era.first_day.year + number - 1


def _within(era: Era, day: dt.date) -> bool:
    index = ERAS.index(era)
    end = ERAS[index - 1].first_day if index else None
    return day >= era.first_day and (end is None or day < end)


def parse_date(value: str) -> dt.date | None:
    """A date typed as 2026-12-02, 2026/12/2, 2026年12月2日, 20261202, R8.12.2, 令和8年12月2日
    or H31.4.1; None when it is none of these or not a real day (平成31年5月1日 is 令和元年)."""
    text = _normalise(value)
    if match := _ERA_DATE_RE.match(text):
        try:
            era, year = _era_year(match["era"], match["year"])
            day = dt.date(year, int(match["month"]), int(match["day"]))
        except ValueError:
            return None
        return day if _within(era, day) else None
    match = _WESTERN_DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if match:
        try:
            return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
        except ValueError:
            return None
    return None


def parse_year(value: str) -> int | None:
    """A year typed as 1985, 1985年, S60, 昭和60 or 昭和60年; None otherwise. An era year past
    the era's end (昭和70) is refused."""
    text = _normalise(value)
    if match := _ERA_YEAR_RE.match(text):
        try:
            era, year = _era_year(match["era"], match["year"])
        except ValueError:
            return None
        index = ERAS.index(era)
        if index and year > ERAS[index - 1].first_day.year:
            return None
        return year
    if match := _WESTERN_YEAR_RE.match(text):
        return int(match["year"])
    return None


def era_of(day: dt.date) -> Era:
    for era in ERAS:
        if day >= era.first_day:
            return era
    raise ValueError(f"{day} is before the Meiji era")


def format_wareki(day: dt.date) -> str:
    """`令和8年12月2日`, `令和元年5月1日`."""
    era = era_of(day)
    year = day.year - era.first_day.year + 1
    return f"{era.name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
