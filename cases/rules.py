"""The pure rules of cases: what a date, a kana reading, a birth year and a consultation must
be, and the age band a birth year gives. No database, no request: forms call them to show the
messages next to the fields, the services (`cases.services`) enforce them before writing, and
the ledger import (`exports.ledger`) checks each row with them.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.kana import is_kana
from cases.models import AgeBand, Consultation, Person
from core.fiscal import HEISEI_FIRST_FY

# Methods where the counselor spends a block of time with someone: the duration matters.
DURATION_REQUIRED_METHODS = frozenset(
    {Consultation.Method.VISIT, Consultation.Method.HOME_VISIT, Consultation.Method.ACCOMPANY}
)
MAX_DURATION_MINUTES = 24 * 60


@dataclass(frozen=True)
class PersonInput:
    name: str = ""
    kana: str = ""
    birth_year: int | None = None
    age_band: str = AgeBand.UNKNOWN
    sex: str = Person.Sex.UNKNOWN


@dataclass(frozen=True)
class ConsultationInput:
    date: dt.date
    method: str
    with_whom: str
    duration_minutes: int | None = None
    notes: str = ""
    next_action: str = ""
    next_action_date: dt.date | None = None


def date_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# Case numbers carry the era of the fiscal year: nothing before the Heisei era's first one.
EARLIEST_DATE = dt.date(HEISEI_FIRST_FY, 4, 1)


def date_errors(
    day: dt.date | None, *, not_before: dt.date | None = None, today: dt.date | None = None
) -> list[str]:
    """No future date; not before the given date (the intake date, usually), nor before the
    first fiscal year the system can number (a typo like 1026 for 2026 gets a message)."""
    if day is None:
        return []
    today = today or timezone.localdate()
    if day > today:
        return [_("未来の日付は入力できません。")]
    if day < EARLIEST_DATE:
        return [
            _("%(date)sより前の日付は入力できません。年を確認してください。")
            % {"date": date_label(EARLIEST_DATE)}
        ]
    if not_before is not None and day < not_before:
        return [
            _("受理日（%(date)s）より前の日付は入力できません。") % {"date": date_label(not_before)}
        ]
    return []


def kana_errors(kana: str) -> list[str]:
    if kana and not is_kana(kana):
        return [
            _("ふりがなは、ひらがな・カタカナで入力してください（空白と長音「ー」も使えます）。")
        ]
    return []


def birth_year_errors(birth_year: int | None, *, today: dt.date | None = None) -> list[str]:
    today = today or timezone.localdate()
    if birth_year is not None and birth_year < 1900:
        return [_("生まれ年は1900年以降の西暦4桁で入力してください。")]
    if birth_year is not None and birth_year > today.year:
        return [_("生まれ年に未来の年は入力できません。")]
    return []


def consultation_errors(
    data: ConsultationInput, *, intake_date: dt.date, today: dt.date | None = None
) -> dict[str, list[str]]:
    """Every rule a consultation must meet, as {field: [messages]}."""
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(data.date, not_before=intake_date, today=today):
        errors["date"] = msgs
    if data.method not in Consultation.Method.values:
        errors["method"] = [_("方法を選んでください。")]
    if data.with_whom not in Consultation.WithWhom.values:
        errors["with_whom"] = [_("相手を選んでください。")]
    if data.duration_minutes is None and data.method in DURATION_REQUIRED_METHODS:
        errors["duration_minutes"] = [_("来所・訪問・同行のときは、所要時間を入力してください。")]
    elif data.duration_minutes is not None and not (
        1 <= data.duration_minutes <= MAX_DURATION_MINUTES
    ):
        errors["duration_minutes"] = [_("所要時間は1分から1440分の間で入力してください。")]
    if data.next_action_date and data.date and data.next_action_date < data.date:
        errors["next_action_date"] = [_("次の対応日は、相談日以降の日付にしてください。")]
    return errors


def person_errors(person: PersonInput, *, today: dt.date | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if msgs := kana_errors(person.kana):
        errors["kana"] = msgs
    if msgs := birth_year_errors(person.birth_year, today=today):
        errors["birth_year"] = msgs
    return errors


def age_band_for(birth_year: int | None, on: dt.date) -> str:
    """The age band on a date from a birth year (approximate: the birthday is not recorded)."""
    if birth_year is None:
        return AgeBand.UNKNOWN
    age = on.year - birth_year
    if age < 15:
        return AgeBand.UNDER_15
    if age < 20:
        return AgeBand.AGE_15_19
    if age >= 80:
        return AgeBand.OVER_80
    return {
        2: AgeBand.AGE_20S,
        3: AgeBand.AGE_30S,
        4: AgeBand.AGE_40S,
        5: AgeBand.AGE_50S,
        6: AgeBand.AGE_60S,
        7: AgeBand.AGE_70S,
    }[age // 10]
