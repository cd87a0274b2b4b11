"""Demo caseload: persons, households, cases, consultations and status histories across the
prefecture's 34 municipalities, from FY2021 (2021-04-01) to today. Names are fictional.

- April–December 2021 holds exactly 211 intakes over the prefecture (the R3 figure of K1);
  later fiscal years hold 250–300, rising; the current one is filled up to today.
- 高知市 cases are assigned to `soudan-kochi`, 安芸福祉保健所 cases to `soudan-aki`, so that
  their home pages show follow-ups due today, overdue ones and cases silent for 90+ days
  (relative to the real current date).
- Seeded cases have no creator (`created_by` is empty: no user entered them), which is how
  `demo_cases()` finds them and how a second run knows to skip. Other apps' demo steps use
  `demo_cases()` to attach meetings and referrals.

Deterministic for a given date (`random.Random` with a fixed seed) and fast (bulk_create).
"""

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.services import Action, audit_record
from cases.kana import kana_key, name_key
from cases.models import (
    AgeBand,
    Case,
    CaseStatusChange,
    Consultation,
    Household,
    HouseholdMember,
    IssueTag,
    Person,
)
from cases.rules import age_band_for
from cases.services import case_number
from core.fiscal import fiscal_year, fiscal_year_range
from core.models import Municipality

SEED = 20210401
FIRST_FY = 2021
# K1's R3 actual: 211 new consultations in April–December 2021, month by month.
APR_DEC_2021 = [21, 22, 24, 23, 25, 24, 25, 24, 23]
JAN_MAR_2022 = 67
FY_TOTALS = {2022: 246, 2023: 259, 2024: 272, 2025: 288}
LATER_FY_TOTAL = 296  # per year from FY2026, pro-rated up to today
MAX_CONSULTATIONS = 8  # per case, so that the seed stays fast

# Rough population weights (thousands, floored at 4 so every village has a few cases).
WEIGHTS = {
    "高知市": 210, "南国市": 46, "四万十市": 33, "香南市": 33, "土佐市": 26, "香美市": 26,
    "いの町": 21, "須崎市": 20, "宿毛市": 19, "安芸市": 16, "四万十町": 16, "土佐清水市": 12,
    "室戸市": 12, "佐川町": 12, "黒潮町": 10,
}  # fmt: skip
DEFAULT_WEIGHT = 5

SURNAMES = [
    ("山本", "やまもと"), ("田中", "たなか"), ("高橋", "たかはし"), ("小松", "こまつ"),
    ("山崎", "やまさき"), ("岡村", "おかむら"), ("浜田", "はまだ"), ("西村", "にしむら"),
    ("川村", "かわむら"), ("中城", "なかじょう"), ("竹内", "たけうち"), ("森本", "もりもと"),
    ("吉村", "よしむら"), ("片岡", "かたおか"), ("門田", "かどた"), ("岡林", "おかばやし"),
    ("山中", "やまなか"), ("野村", "のむら"), ("公文", "くもん"), ("和田", "わだ"),
    ("松岡", "まつおか"), ("筒井", "つつい"), ("細川", "ほそかわ"), ("大野", "おおの"),
    ("坂本", "さかもと"), ("島村", "しまむら"), ("弘田", "ひろた"), ("明神", "みょうじん"),
    ("宮地", "みやじ"), ("岡崎", "おかざき"), ("溝渕", "みぞぶち"), ("植田", "うえだ"),
]  # fmt: skip
MALE_NAMES = [
    ("健太", "けんた"), ("大輔", "だいすけ"), ("拓也", "たくや"), ("直樹", "なおき"),
    ("浩二", "こうじ"), ("誠", "まこと"), ("隆", "たかし"), ("翔", "しょう"),
    ("悠斗", "ゆうと"), ("和也", "かずや"), ("修", "おさむ"), ("哲也", "てつや"),
    ("秀明", "ひであき"), ("陽介", "ようすけ"), ("亮", "りょう"), ("慎一", "しんいち"),
]  # fmt: skip
FEMALE_NAMES = [
    ("美咲", "みさき"), ("由美", "ゆみ"), ("恵", "めぐみ"), ("真由美", "まゆみ"),
    ("彩", "あや"), ("優子", "ゆうこ"), ("千尋", "ちひろ"), ("香織", "かおり"),
    ("智子", "ともこ"), ("奈々", "なな"), ("裕子", "ゆうこ"), ("明美", "あけみ"),
]  # fmt: skip

# Who the first consultation is with, by who came (the family otherwise).
FIRST_WITH_WHOM: dict[str, Consultation.WithWhom] = {
    Case.Visitor.PERSON: Consultation.WithWhom.PERSON,
    Case.Visitor.PERSON_AND_FAMILY: Consultation.WithWhom.PERSON_AND_FAMILY,
    Case.Visitor.AGENCY: Consultation.WithWhom.AGENCY,
}
AGE_WORDS: dict[str, str] = {
    AgeBand.UNDER_15: "中学生", AgeBand.AGE_15_19: "10代", AgeBand.AGE_20S: "20代",
    AgeBand.AGE_30S: "30代", AgeBand.AGE_40S: "40代", AgeBand.AGE_50S: "50代",
    AgeBand.AGE_60S: "60代",
}  # fmt: skip
P, V = Consultation.Method.PHONE, Consultation.Method.VISIT
W = Consultation.WithWhom
FIRST_NOTES = {
    (W.FAMILY, P): [
        "母親から電話。本人（{age}）は数年前に退職してから自宅にこもりがち。昼夜逆転している。",
        "姉から電話。弟（{age}）が10年以上ほとんど外出していない。両親が高齢になり将来が心配。",
    ],
    (W.FAMILY, V): [
        "父母が来所。本人（{age}）は自室で過ごすことが多く、家族とも会話が少ない。",
        "母親が来所。本人（{age}）の将来と、自分たちが亡くなった後のことが心配と話す。",
    ],
    (W.PERSON, P): ["本人から電話。人と会うのがつらいが、このままではいけないと思っていると話す。"],
    (W.PERSON, V): ["本人が来所。仕事を探す気持ちはあるが、一歩が出ないと話す。"],
    (W.PERSON_AND_FAMILY, P): ["母親から電話があり、途中で本人も電話に出て少し話せた。"],
    (W.PERSON_AND_FAMILY, V): ["本人と母親が来所。本人は緊張していたが、最後まで同席できた。"],
    (W.AGENCY, P): [
        "民生委員から連絡。高齢の母親と本人の二人暮らしで、母親の介護が必要になってきている。",
        "地域包括支援センターから情報提供。要介護の親の世帯に、外出しない子がいる。",
        "学校から相談。卒業後、本人が家から出なくなった。保護者も困っている。",
    ],
}
# What was said, without the method (the method prefix below says how the contact happened).
FOLLOW_NOTES = {
    Consultation.WithWhom.FAMILY: [
        "母親から。本人は落ち着いて過ごしている。家族会の案内をした。",
        "父親から。本人と少し会話ができるようになったとのこと。",
        "母親から。本人の生活リズムが少し整ってきた。引き続き見守る。",
        "家族と、本人への声かけの方法を一緒に考えた。",
        "母親の体調が悪化。介護サービスの利用を地域包括支援センターに相談するよう勧めた。",
    ],
    Consultation.WithWhom.PERSON: [
        "本人と。最近は散歩に出られる日が増えたと話す。",
        "本人と。居場所の見学に関心を示した。",
        "本人と。就労体験について説明し、次回までに考えてもらうことにした。",
        "本人と短く会話できた。無理に外出を勧めず、次回の約束だけをした。",
    ],
    Consultation.WithWhom.PERSON_AND_FAMILY: [
        "本人と母親と。本人が自分から近況を話せた。",
        "本人・家族と今後の目標を一緒に確認した。",
    ],
    Consultation.WithWhom.AGENCY: [
        "社会福祉協議会と情報共有。世帯の家計の状況を確認した。",
        "地域包括支援センターと連絡調整。母親の介護サービス利用を検討中。",
        "医療機関のケースワーカーと受診の状況を共有した。",
    ],
}
METHOD_PREFIX = {
    Consultation.Method.VISIT: "来所。",
    Consultation.Method.PHONE: "電話。",
    Consultation.Method.HOME_VISIT: "自宅を訪問。",
    Consultation.Method.EMAIL: "メール。",
    Consultation.Method.ONLINE: "オンライン面談。",
    Consultation.Method.ACCOMPANY: "居場所の見学に同行。",
}
NEXT_ACTIONS = [
    "母親に電話で様子を確認",
    "自宅訪問（本人に手紙を置いてくる）",
    "家族面談",
    "居場所の見学に同行",
    "地域包括支援センターと連絡調整",
    "本人と面談",
    "家族会の案内を送付",
]
CLOSE_REASONS = [
    "就労（パート）を開始し、本人・家族と合意して終結。",
    "居場所に定着し、相談の必要がなくなった。",
    "県外へ転居のため終結。転居先の窓口に引き継いだ。",
    "医療機関での支援に移行。",
    "家族の状況が落ち着き、家族の希望により終結。",
]
SUSPEND_REASONS = [
    "3か月以上、家族とも連絡が取れない。",
    "家族の希望で一時休止。",
    "本人の拒否が強く、家族との連絡も途絶えた。",
]
REOPEN_REASONS = ["母親から再び相談の電話があった。", "民生委員から再度の連絡があった。"]

AGE_BANDS = [
    (AgeBand.UNDER_15, 2), (AgeBand.AGE_15_19, 9), (AgeBand.AGE_20S, 17),
    (AgeBand.AGE_30S, 20), (AgeBand.AGE_40S, 21), (AgeBand.AGE_50S, 19),
    (AgeBand.AGE_60S, 8), (AgeBand.UNKNOWN, 4),
]  # fmt: skip
BAND_AGES = {
    AgeBand.UNDER_15: (13, 14), AgeBand.AGE_15_19: (15, 19), AgeBand.AGE_20S: (20, 29),
    AgeBand.AGE_30S: (30, 39), AgeBand.AGE_40S: (40, 49), AgeBand.AGE_50S: (50, 59),
    AgeBand.AGE_60S: (60, 69), AgeBand.UNKNOWN: (25, 55),
}  # fmt: skip
ROUTES = [
    (Case.Route.FAMILY, 40), (Case.Route.SELF, 14), (Case.Route.WELFARE_VOLUNTEER, 8),
    (Case.Route.COMMUNITY_CARE, 10), (Case.Route.MEDICAL, 6), (Case.Route.SCHOOL, 5),
    (Case.Route.SOCIAL_WELFARE_COUNCIL, 6), (Case.Route.MUNICIPALITY, 5),
    (Case.Route.HEALTH_OFFICE, 4), (Case.Route.OTHER_AGENCY, 2),
]  # fmt: skip
DURATIONS = [
    (Case.WithdrawalDuration.UNDER_6M, 6), (Case.WithdrawalDuration.M6_TO_1Y, 9),
    (Case.WithdrawalDuration.Y1_TO_3, 20), (Case.WithdrawalDuration.Y3_TO_5, 18),
    (Case.WithdrawalDuration.Y5_TO_10, 20), (Case.WithdrawalDuration.OVER_10Y, 18),
    (Case.WithdrawalDuration.UNKNOWN, 9),
]  # fmt: skip
FOLLOW_METHODS = [
    (Consultation.Method.PHONE, 45), (Consultation.Method.VISIT, 20),
    (Consultation.Method.HOME_VISIT, 20), (Consultation.Method.EMAIL, 4),
    (Consultation.Method.ONLINE, 3), (Consultation.Method.ACCOMPANY, 8),
]  # fmt: skip
TIMED_METHODS = {
    Consultation.Method.VISIT, Consultation.Method.HOME_VISIT, Consultation.Method.ACCOMPANY,
}  # fmt: skip


def demo_cases(
    *,
    fiscal_year: int | None = None,
    intake_from: dt.date | None = None,
    intake_to: dt.date | None = None,
) -> QuerySet[Case]:
    """The seeded demo cases, oldest first; filter by fiscal year or intake-date range
    (both inclusive). For other apps' demo steps (meetings, referrals)."""
    qs = Case.objects.filter(created_by__isnull=True)
    if fiscal_year is not None:
        qs = qs.filter(fiscal_year=fiscal_year)
    if intake_from is not None:
        qs = qs.filter(intake_date__gte=intake_from)
    if intake_to is not None:
        qs = qs.filter(intake_date__lte=intake_to)
    return qs.order_by("intake_date", "id")


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _month_days(year: int, month: int, last: dt.date) -> list[dt.date]:
    day = dt.date(year, month, 1)
    days = []
    while day.month == month and day <= last:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def intake_dates(rng: random.Random, today: dt.date) -> list[dt.date]:
    """Every demo intake date, FY2021 to today: exactly 211 in April–December 2021."""
    dates: list[dt.date] = []
    for (year, month), count in zip([(2021, m) for m in range(4, 13)], APR_DEC_2021, strict=True):
        days = _month_days(year, month, today)
        dates += sorted(rng.choice(days) for _ in range(count))
    plan: list[tuple[dt.date, dt.date, int]] = [
        (dt.date(2022, 1, 1), dt.date(2022, 3, 31), JAN_MAR_2022)
    ]
    fy = 2022
    while fiscal_year_range(fy)[0] <= today:
        start, end = fiscal_year_range(fy)
        if fy in FY_TOTALS:
            plan.append((start, end, FY_TOTALS[fy]))
        else:
            last = min(end, today)
            share = ((last - start).days + 1) / ((end - start).days + 1)
            plan.append((start, last, round(LATER_FY_TOTAL * share)))
        fy += 1
    for start, end, count in plan:
        if start > today:
            continue
        end = min(end, today)
        span = (end - start).days
        dates += sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))
    return dates


@dataclass
class Draft:
    """One case being generated, with everything that hangs off it."""

    case: Case
    person: Person
    members: list[HouseholdMember] = field(default_factory=list)
    household_notes: str = ""
    tags: list[str] = field(default_factory=list)
    consultations: list[Consultation] = field(default_factory=list)
    changes: list[CaseStatusChange] = field(default_factory=list)


class Generator:
    def __init__(self, *, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.municipalities = list(
            Municipality.objects.filter(prefecture_code="39")
            .select_related("jurisdiction")
            .order_by("code")
        )
        self.weights = [WEIGHTS.get(m.name_ja, DEFAULT_WEIGHT) for m in self.municipalities]
        names = ["soudan-kochi", "soudan-aki", "center"]
        users = {u.username: u for u in User.objects.filter(username__in=names)}
        self.kochi_counselor = users.get("soudan-kochi")
        self.aki_counselor = users.get("soudan-aki")
        self.center = users.get("center")

    def counselor_for(self, municipality: Municipality) -> User | None:
        if municipality.code == "392014":
            return self.kochi_counselor
        if municipality.jurisdiction.name_ja == "安芸福祉保健所":
            return self.aki_counselor
        return self.center if self.rng.random() < 0.2 else None

    def token(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    # -- person and household --------------------------------------------------------------

    def person(self, municipality: Municipality, intake: dt.date) -> tuple[Person, int | None]:
        rng = self.rng
        band = _weighted(rng, AGE_BANDS)
        low, high = BAND_AGES[band]
        age = rng.randint(low, high)
        sex = _weighted(rng, [(Person.Sex.MALE, 64), (Person.Sex.FEMALE, 33),
                              (Person.Sex.UNKNOWN, 3)])  # fmt: skip
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana = rng.choice(FEMALE_NAMES if sex == Person.Sex.FEMALE else MALE_NAMES)
        birth_year = intake.year - age if band != AgeBand.UNKNOWN and rng.random() < 0.8 else None
        person = Person(
            municipality=municipality,
            name=f"{surname} {given}",
            kana=f"{surname_kana} {given_kana}",
            birth_year=birth_year,
            age_band=band,
            sex=sex,
        )
        return person, (age if band != AgeBand.UNKNOWN else None)

    def household(self, draft: Draft, age: int | None) -> None:
        rng = self.rng
        band = draft.case.age_band_at_intake
        members = draft.members

        def member(relationship: str, member_age: int | None, **kwargs: Any) -> None:
            members.append(
                HouseholdMember(
                    relationship=relationship,
                    age_band=age_band_for(
                        draft.case.intake_date.year - member_age, draft.case.intake_date
                    )
                    if member_age is not None
                    else AgeBand.UNKNOWN,
                    **kwargs,
                )
            )

        if band == AgeBand.AGE_50S or (band == AgeBand.AGE_60S and rng.random() < 0.3):
            # 8050: a parent in their 80s who needs care, often alone with the person.
            parent_age = max(80, (age or 55) + rng.randint(26, 33))
            member(
                HouseholdMember.Relationship.MOTHER,
                parent_age,
                needs_care=True,
                circumstances=rng.choice(
                    [
                        "要介護2。通院の付き添いが必要。",
                        "要支援1。物忘れが増えている。",
                        "要介護3。デイサービスを週2回利用。",
                    ]
                ),
            )
            if rng.random() < 0.35:
                member(HouseholdMember.Relationship.FATHER, parent_age + rng.randint(1, 4),
                       needs_care=rng.random() < 0.5)  # fmt: skip
            draft.tags.append("8050")
            if rng.random() < 0.3:
                draft.tags.append("nursing-care")
            draft.household_notes = "高齢の母と二人暮らし。年金で生活している。"
            return
        if age is not None and age <= 29 and rng.random() < 0.18:
            # A young carer: a younger sibling looking after an ill parent.
            member(HouseholdMember.Relationship.MOTHER, age + rng.randint(24, 32),
                   needs_care=True, circumstances="精神疾患で通院中。家事が難しい。")  # fmt: skip
            member(HouseholdMember.Relationship.SIBLING, rng.randint(11, 16), young_carer=True,
                   circumstances="中学生。母の世話と家事を担っている。")  # fmt: skip
            draft.tags.append("young-carer")
            draft.household_notes = "母・弟（妹）と三人暮らし。父とは別居。"
            return
        if age is not None:
            parent_age = age + rng.randint(25, 33)
            member(HouseholdMember.Relationship.MOTHER, parent_age,
                   needs_care=parent_age >= 80 and rng.random() < 0.5)  # fmt: skip
            if rng.random() < 0.6:
                member(HouseholdMember.Relationship.FATHER, parent_age + rng.randint(0, 4),
                       circumstances=rng.choice(["", "", "自営業。", "年金生活。"]))  # fmt: skip
            if rng.random() < 0.25:
                member(HouseholdMember.Relationship.SIBLING, age + rng.randint(-6, 6),
                       circumstances="別居。時々様子を見に来る。")  # fmt: skip
            if age >= 40 and rng.random() < 0.08:
                draft.tags.append("double-care")

    # -- the case's history -----------------------------------------------------------------

    def draft(self, intake: dt.date) -> Draft:
        rng = self.rng
        municipality = rng.choices(self.municipalities, weights=self.weights)[0]
        person, age = self.person(municipality, intake)
        visitor = _weighted(rng, [(Case.Visitor.FAMILY, 55), (Case.Visitor.PERSON, 17),
                                  (Case.Visitor.PERSON_AND_FAMILY, 13),
                                  (Case.Visitor.AGENCY, 15)])  # fmt: skip
        met = visitor in (Case.Visitor.PERSON, Case.Visitor.PERSON_AND_FAMILY)
        if not met and rng.random() < 0.4:
            # Family-only consultation: the person not met yet, often no name given.
            person.name = ""
            if rng.random() < 0.3:
                person.kana = ""
        person.kana_key = kana_key(person.kana)
        person.name_key = name_key(person.name)
        counselor = self.counselor_for(municipality)
        route = (
            Case.Route.SELF if visitor == Case.Visitor.PERSON and rng.random() < 0.7
            else Case.Route.FAMILY if visitor == Case.Visitor.FAMILY and rng.random() < 0.6
            else _weighted(rng, ROUTES[2:]) if visitor == Case.Visitor.AGENCY
            else _weighted(rng, ROUTES)
        )  # fmt: skip
        case = Case(
            municipality=municipality,
            fiscal_year=fiscal_year(intake),
            intake_date=intake,
            intake_route=route,
            visitor=visitor,
            age_band_at_intake=person.age_band,
            withdrawal_duration=_weighted(rng, DURATIONS),
            assigned_counselor=counselor,
            status=Case.Status.INTAKE,
            status_changed_on=intake,
        )
        draft = Draft(case=case, person=person)
        self.household(draft, age)
        for code, share in [("mental-illness", 0.14), ("poverty", 0.12), ("developmental", 0.1),
                            ("school-refusal", 0.08), ("hoarding", 0.04),
                            ("domestic-violence", 0.04), ("medical-care", 0.03),
                            ("isolation", 0.1)]:  # fmt: skip
            if rng.random() < share:
                draft.tags.append(code)
        self.history(draft, met=met)
        return draft

    def consultation(self, draft: Draft, day: dt.date, *, first: bool, met: bool) -> Consultation:
        rng = self.rng
        if first:
            method = (
                Consultation.Method.VISIT
                if draft.case.visitor != Case.Visitor.AGENCY and rng.random() < 0.4
                else Consultation.Method.PHONE
            )
            with_whom = FIRST_WITH_WHOM.get(draft.case.visitor, Consultation.WithWhom.FAMILY)
            age = AGE_WORDS.get(draft.case.age_band_at_intake, "年齢不明")
            notes = rng.choice(FIRST_NOTES[(with_whom, method)]).format(age=age)
        else:
            method = _weighted(rng, FOLLOW_METHODS)
            with_whom = _weighted(
                rng,
                [(Consultation.WithWhom.FAMILY, 45), (Consultation.WithWhom.PERSON, 25),
                 (Consultation.WithWhom.PERSON_AND_FAMILY, 15),
                 (Consultation.WithWhom.AGENCY, 15)]
                if met
                else [(Consultation.WithWhom.FAMILY, 80), (Consultation.WithWhom.AGENCY, 20)],
            )  # fmt: skip
            notes = METHOD_PREFIX[method] + rng.choice(FOLLOW_NOTES[with_whom])
        if method in TIMED_METHODS:
            duration: int | None = rng.choice([30, 45, 60, 60, 90, 120])
        elif method == Consultation.Method.PHONE:
            duration = rng.choice([10, 15, 20, 30, None])
        else:
            duration = None
        return Consultation(
            date=day,
            method=method,
            with_whom=with_whom,
            duration_minutes=duration,
            notes=notes,
            recorded_by=draft.case.assigned_counselor,
            submission_token=self.token(),
        )

    def history(self, draft: Draft, *, met: bool) -> None:
        """Consultations and status changes from intake to today (or to the closing)."""
        rng, today, case = self.rng, self.today, draft.case
        intake = case.intake_date
        age_days = (today - intake).days
        ended = age_days > 120 and rng.random() < min(0.93, 0.2 + age_days / 1200)
        reopened = ended and age_days > 500 and rng.random() < 0.06
        stale = not ended and age_days > 120 and rng.random() < 0.12

        if ended:
            longest = max(15, min(700, age_days - 60))
            chain_end = intake + dt.timedelta(days=rng.randint(min(30, longest), longest))
        elif stale:
            chain_end = today - dt.timedelta(days=rng.randint(95, min(500, age_days)))
        else:
            chain_end = today - dt.timedelta(days=rng.randint(0, 40))
        chain_end = max(intake, min(chain_end, today))

        # Close contact in the first weeks, then every month or few; the last on chain_end.
        days = [intake]
        while len(days) < 3:
            nxt = days[-1] + dt.timedelta(days=rng.randint(7, 30))
            if nxt >= chain_end:
                break
            days.append(nxt)
        span = (chain_end - days[-1]).days
        middle = min(MAX_CONSULTATIONS - len(days) - 1, span // 120)
        days += sorted(
            days[-1] + dt.timedelta(days=rng.randint(1, span - 1)) for _ in range(middle)
        )
        if chain_end > days[-1]:
            days.append(chain_end)

        for i, day in enumerate(days):
            record = self.consultation(draft, day, first=i == 0, met=met or i > 3)
            if i + 1 < len(days):
                record.next_action = rng.choice(NEXT_ACTIONS)
                record.next_action_date = days[i + 1]
            draft.consultations.append(record)
        self.last_next_action(draft, ended=ended, stale=stale)

        def change(before: str, after: str, on: dt.date, reason: str = "") -> None:
            draft.changes.append(
                CaseStatusChange(
                    case=case,
                    from_status=before,
                    to_status=after,
                    changed_on=on,
                    reason=reason,
                    changed_by=case.assigned_counselor,
                )
            )
            case.status, case.status_changed_on, case.status_reason = after, on, reason

        change("", Case.Status.INTAKE, intake)
        if len(days) >= 2:
            change(Case.Status.INTAKE, Case.Status.ASSESSMENT, days[1])
        if len(days) >= 3:
            change(Case.Status.ASSESSMENT, Case.Status.ACTIVE, days[2])
        if ended:
            suspended = rng.random() < 0.35
            gap = rng.randint(100, 200) if suspended else rng.randint(0, 30)
            on = min(today, days[-1] + dt.timedelta(days=gap))
            status = Case.Status.SUSPENDED if suspended else Case.Status.CLOSED
            change(case.status, status, on,
                   rng.choice(SUSPEND_REASONS if suspended else CLOSE_REASONS))  # fmt: skip
            case.closed_on = on
            if reopened and (today - on).days > 60:
                again = on + dt.timedelta(days=rng.randint(30, (today - on).days - 20))
                change(case.status, Case.Status.ACTIVE, again, rng.choice(REOPEN_REASONS))
                case.closed_on = None
                draft.consultations[-1].next_action = ""
                draft.consultations.append(self.consultation(draft, again, first=False, met=True))
                self.last_next_action(draft, ended=False, stale=False)

    def last_next_action(self, draft: Draft, *, ended: bool, stale: bool) -> None:
        """The latest consultation's next action: what the home page's follow-ups show."""
        rng, today = self.rng, self.today
        last = draft.consultations[-1]
        if ended:
            return
        if stale:
            if rng.random() < 0.35:
                last.next_action = "母親に電話で様子を確認"
                last.next_action_date = last.date + dt.timedelta(days=rng.randint(14, 30))
            return
        roll = rng.random()
        overdue_room = (today - last.date).days
        last.next_action = rng.choice(NEXT_ACTIONS)
        if roll < 0.04:
            last.next_action_date = today
        elif roll < 0.11 and overdue_room >= 1:
            last.next_action_date = today - dt.timedelta(days=rng.randint(1, min(21, overdue_room)))
        elif roll < 0.9:
            last.next_action_date = today + dt.timedelta(days=rng.randint(1, 45))
        else:
            last.next_action, last.next_action_date = "", None


def ensure_follow_ups(drafts: list[Draft], user: User | None, today: dt.date) -> None:
    """Whatever the dice said, a demo counselor has follow-ups due today and overdue."""
    candidates = [
        d
        for d in drafts
        if d.case.assigned_counselor == user
        and d.case.closed_on is None
        and today - dt.timedelta(days=60)
        <= d.consultations[-1].date
        <= today - dt.timedelta(days=5)
    ]
    for i, draft in enumerate(candidates[-5:]):
        last = draft.consultations[-1]
        last.next_action = last.next_action or NEXT_ACTIONS[i % len(NEXT_ACTIONS)]
        last.next_action_date = today if i < 2 else today - dt.timedelta(days=i)


def seed(*, stdout: Any) -> None:
    if demo_cases().exists():
        stdout.write(f"demo cases: already seeded ({demo_cases().count()}), skipped")
        return
    today = timezone.localdate()
    rng = random.Random(SEED)
    generator = Generator(rng=rng, today=today)
    drafts = [generator.draft(day) for day in intake_dates(rng, today)]
    drafts.sort(key=lambda d: (d.case.intake_date, d.case.municipality.code))
    for user in (generator.kochi_counselor, generator.aki_counselor):
        if user is not None:
            ensure_follow_ups(drafts, user, today)

    # Case numbers continue after any case already entered by hand in the same year.
    next_seq: dict[tuple[int, int], int] = defaultdict(int)
    for row in Case.objects.values("municipality", "fiscal_year").annotate(m=Max("sequence")):
        next_seq[(row["municipality"], row["fiscal_year"])] = row["m"]
    for draft in drafts:
        case = draft.case
        key = (case.municipality.pk, case.fiscal_year)
        next_seq[key] += 1
        case.sequence = next_seq[key]
        case.number = case_number(case.municipality, case.fiscal_year, case.sequence)

    persons = Person.objects.bulk_create([d.person for d in drafts])
    households = Household.objects.bulk_create(
        [Household(person=p, notes=d.household_notes) for p, d in zip(persons, drafts, strict=True)]
    )
    members = []
    for household, draft in zip(households, drafts, strict=True):
        for member in draft.members:
            member.household = household
            members.append(member)
    HouseholdMember.objects.bulk_create(members)
    for person, draft in zip(persons, drafts, strict=True):
        draft.case.person = person
    cases = Case.objects.bulk_create([d.case for d in drafts])

    tags = {t.code: t.pk for t in IssueTag.objects.all()}
    through = Case.issue_tags.through
    links = [
        through(case_id=case.pk, issuetag_id=tags[code])
        for case, draft in zip(cases, drafts, strict=True)
        for code in dict.fromkeys(draft.tags)
        if code in tags
    ]
    through.objects.bulk_create(links)
    consultations, changes = [], []
    for case, draft in zip(cases, drafts, strict=True):
        for record in draft.consultations:
            record.case = case
            consultations.append(record)
        for change in draft.changes:
            change.case = case
            changes.append(change)
    # Status changes first: on the timeline, same-day entries show the later-created on top.
    CaseStatusChange.objects.bulk_create(changes, batch_size=2000)
    Consultation.objects.bulk_create(consultations, batch_size=2000)
    audit_record(
        action=Action.IMPORT,
        object_type="cases.case",
        row_count=len(cases),
        reason="seed_demo",
    )
    in_2021 = sum(1 for c in cases if dt.date(2021, 4, 1) <= c.intake_date <= dt.date(2021, 12, 31))
    stdout.write(
        f"demo cases: {len(cases)} cases ({in_2021} in 2021-04..12), "
        f"{len(consultations)} consultations, {len(members)} household members"
    )
