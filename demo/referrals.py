"""Demo resources (fictional names, Kochi-like) and referrals on the demo cases.

Runs after the cases step and uses whatever cases exist. The numbers the seed document gives
for April–December 2021 are reproduced exactly: 119 links to 居場所等 and 2 persons employed
after intermediate employment. Later years rise (about 100–140 links and 5–12 such persons a
year from FY2023), FY2026 runs up to today, and a few referrals are stuck or quiet so that the
follow-up lists of `soudan-kochi` and `soudan-aki` have something to show.

Deterministic (one `random.Random` with a fixed seed, cases taken in a fixed order) and
idempotent: resources are upserted by name; referrals are created only when none exist yet.
"""

import bisect
import datetime as dt
import importlib
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from core.fiscal import fiscal_year_range
from core.models import Municipality
from referrals.history import ConfigHistory, stamp
from referrals.models import (
    EmploymentOutcome,
    Referral,
    ReferralNote,
    ReferralTransition,
    Resource,
    ResourceKind,
)
from referrals.services import work_training_basis

SEED = 20210401
D = dt.date
# The seed document's R3 figures are for April–December 2021.
R3_WINDOW = (D(2021, 4, 1), D(2021, 12, 31))
R3_LINKS = 119
R3_EMPLOYED_AFTER_TRAINING = 2

KOCHI_CITY = "392014"
AKI_JURISDICTION = "安芸福祉保健所"

Op = Resource.Operator

# name, kind code, operator, municipality code (None = prefecture-wide), supported by the
# prefecture, opened on, active, capacity, opening days. All names are fictional.
RESOURCES: list[tuple[str, str, str, str | None, bool, dt.date, bool, int | None, str]] = [
    # あったかふれあいセンター-based ibasho.
    ("あったかふれあいセンター こもれび 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392022", True, D(2016, 4, 1), True, 10, "火・木 10:00〜15:00"),
    ("あったかふれあいセンター みなと 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392031", False, D(2017, 4, 1), True, 8, "水 13:00〜16:00"),
    ("あったかふれあいセンター いろり 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392120", True, D(2016, 10, 1), True, 10, "月・金 10:00〜15:00"),
    ("あったかふれあいセンター せせらぎ 居場所", "ibasho", Op.ATTAKA_CENTER,
     "393860", False, D(2018, 4, 1), True, 8, "火 13:00〜16:00"),
    ("あったかふれあいセンター しおかぜ 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392065", True, D(2017, 6, 1), True, 12, "月・水・金 10:00〜15:00"),
    ("あったかふれあいセンター やまびこ 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392103", False, D(2018, 10, 1), True, 10, "木 10:00〜15:00"),
    ("あったかふれあいセンター ひなた 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392049", False, D(2019, 4, 1), True, 10, "水・土 10:00〜14:00"),
    ("あったかふれあいセンター さとやま 居場所", "ibasho", Op.ATTAKA_CENTER,
     "393878", False, D(2019, 4, 1), True, 6, "金 10:00〜14:00"),
    ("あったかふれあいセンター ゆずの木 居場所", "ibasho", Op.ATTAKA_CENTER,
     "393029", False, D(2022, 7, 1), True, 6, "火 13:00〜16:00"),
    ("あったかふれあいセンター つどい 居場所", "ibasho", Op.ATTAKA_CENTER,
     "392090", False, D(2023, 4, 1), True, 8, "月 10:00〜15:00"),
    # Family-association (家族会) ibasho.
    ("家族会の居場所「ほっとルーム」", "ibasho", Op.FAMILY_ASSOCIATION,
     KOCHI_CITY, True, D(2015, 4, 1), True, 15, "第1・第3土曜 13:00〜16:00"),
    ("家族会サロン「つむぎ」", "ibasho", Op.FAMILY_ASSOCIATION,
     "392103", False, D(2018, 4, 1), True, 10, "第2日曜 13:00〜15:00"),
    ("家族会の居場所「ひだまりの会」", "ibasho", Op.FAMILY_ASSOCIATION,
     "392031", False, D(2019, 10, 1), True, 8, "第4土曜 10:00〜12:00"),
    # NPO ibasho.
    ("NPO法人みちくさ 居場所「のきした」", "ibasho", Op.NPO,
     KOCHI_CITY, True, D(2014, 4, 1), True, 20, "月〜金 11:00〜17:00"),
    ("NPO法人あおぞら工房 フリースペース", "ibasho", Op.NPO,
     KOCHI_CITY, False, D(2017, 4, 1), True, 12, "火・木・土 12:00〜18:00"),
    ("NPO法人くろしおネット 居場所「なぎさ」", "ibasho", Op.NPO,
     "394289", True, D(2018, 4, 1), True, 10, "水・金 10:00〜16:00"),
    ("NPO法人かわせみ 居場所カフェ", "ibasho", Op.NPO,
     "392057", False, D(2019, 4, 1), True, 10, "土 11:00〜16:00"),
    # Prefecture, municipality and social welfare council ibasho.
    ("ひきこもり地域支援センター 居場所「ゆるり」", "ibasho", Op.PREFECTURE,
     None, False, D(2013, 4, 1), True, 15, "月・水・金 13:00〜16:00"),
    ("高知市 ひきこもり支援 居場所「あしたば」", "ibasho", Op.MUNICIPALITY,
     KOCHI_CITY, False, D(2016, 4, 1), True, 12, "火・木 13:00〜16:00"),
    ("香南市社会福祉協議会 居場所「そらまめ」", "ibasho", Op.SOCIAL_WELFARE_COUNCIL,
     "392111", False, D(2019, 4, 1), True, 8, "木 10:00〜15:00"),
    ("佐川町社会福祉協議会 居場所「ことり」", "ibasho", Op.SOCIAL_WELFARE_COUNCIL,
     "394025", False, D(2018, 4, 1), True, 8, "月 13:00〜16:00"),
    ("居場所「ともしび」（休止中）", "ibasho", Op.NPO,
     KOCHI_CITY, False, D(2012, 4, 1), False, 6, ""),
    # Work training: exactly one site in FY2021, more later.
    ("就労訓練事業所「ひかり農園」", "work_training", Op.OTHER,
     "392049", False, D(2019, 4, 1), True, 6, "月〜金 9:00〜15:00"),
    ("中間的就労「まちの清掃チーム」", "work_training", Op.COMPANY,
     KOCHI_CITY, False, D(2023, 4, 1), True, 5, "月・水・金 8:30〜12:00"),
    ("就労訓練事業所「はた山の工房」", "work_training", Op.NPO,
     "392081", False, D(2024, 10, 1), True, 5, "火〜土 9:00〜15:00"),
    # Work experience (counted as 居場所等 and as work training), from FY2022.
    ("就労体験「カフェ・ゆずの木」", "work_experience", Op.NPO,
     KOCHI_CITY, False, D(2022, 6, 1), True, 4, "火〜金 10:00〜14:00"),
    ("就労体験「しまんと農業体験」", "work_experience", Op.COMPANY,
     "394122", False, D(2023, 10, 1), True, 4, "月・木 9:00〜12:00"),
    # Other agencies: referrals to them never count as 居場所等.
    ("就労支援センター「みちしるべ」", "employment_support", Op.NPO,
     KOCHI_CITY, False, D(2012, 4, 1), True, None, "月〜金 9:00〜17:00"),
    ("こころの診療所 みどりの森クリニック", "medical", Op.MEDICAL,
     KOCHI_CITY, False, D(2010, 4, 1), True, None, "月〜土（予約制）"),
    ("はたの心療内科クリニック", "medical", Op.MEDICAL,
     "392103", False, D(2011, 4, 1), True, None, "月〜金（予約制）"),
    ("自立相談支援窓口「あゆみ」", "consultation", Op.SOCIAL_WELFARE_COUNCIL,
     "392031", False, D(2015, 4, 1), True, None, "月〜金 8:30〜17:15"),
    ("フードバンク「ぬくもり」", "other", Op.NPO,
     KOCHI_CITY, False, D(2016, 4, 1), True, None, "水・土 10:00〜15:00"),
]  # fmt: skip


@dataclass(frozen=True)
class Period:
    """What happens in one stretch of time (counts are for the whole stretch)."""

    start: dt.date
    end: dt.date
    ibasho: int  # connections to 居場所 resources
    other: int  # connections to agencies that never count (medical, employment support…)
    training: int  # work-training connections not (yet) followed by a job
    jobs_after_training: int  # persons employed after a work-training connection
    jobs_plain: int  # persons employed with no work-training connection
    not_realised: int


def _fy(fy: int, *counts: int) -> Period:
    start, end = fiscal_year_range(fy)
    return Period(start, end, *counts)


PERIODS = [
    # The seed document's April–December 2021: 119 links, 2 persons (exact).
    Period(R3_WINDOW[0], R3_WINDOW[1], R3_LINKS, 14, 3, R3_EMPLOYED_AFTER_TRAINING, 3, 24),
    Period(D(2022, 1, 1), D(2022, 3, 31), 32, 5, 1, 0, 1, 8),
    _fy(2022, 92, 16, 4, 4, 4, 22),
    _fy(2023, 102, 18, 5, 6, 5, 24),
    _fy(2024, 114, 20, 6, 8, 5, 25),
    _fy(2025, 126, 22, 7, 10, 6, 26),
    _fy(2026, 134, 24, 8, 11, 6, 26),
]

NOTES_IBASHO = [
    "週1回、午後に利用。スタッフと話す時間が少しずつ長くなっている。",
    "本人から「また行きたい」と話があった（母親から電話）。",
    "体調不良で2回欠席。無理をしないよう伝えた。",
    "ほかの利用者と一緒に昼食づくりに参加した。",
    "つなぎ先の担当者と電話で様子を共有した。",
    "送迎なしで一人で通えるようになった。",
    "利用日を週2回に増やしたいと本人から希望があった。",
    "しばらく休んでいたが、今週から利用を再開した。",
    "ボードゲームの時間に参加。表情が明るくなってきたとのこと。",
]
NOTES_TRAINING = [
    "午前中のみの作業に参加。休まず通所している。",
    "作業の手順を覚え、任される作業が増えた。",
    "事業所の担当者と面談。就職に向けた話を始めた。",
    "体力面の不安があり、作業時間を短くして継続。",
]
NOT_REALISED_DETAILS = [
    "家族の転居のため。",
    "ほかの支援先を優先することになった。",
    "開所日と通院日が重なるため。",
]


@dataclass
class Plan:
    case: Case
    resource: Resource
    proposed_on: dt.date
    arranging_on: dt.date | None = None
    connected_on: dt.date | None = None
    ended_on: dt.date | None = None
    not_realised_on: dt.date | None = None
    reason: str = ""
    detail: str = ""
    notes: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.not_realised_on:
            return Referral.Status.NOT_REALISED
        if self.ended_on:
            return Referral.Status.ENDED
        if self.connected_on:
            return Referral.Status.CONNECTED
        if self.arranging_on:
            return Referral.Status.ARRANGING
        return Referral.Status.PROPOSED


class Planner:
    """Picks cases and resources for the referrals, spreading them over the cases."""

    def __init__(self, cases: list[Case], resources: list[Resource], today: dt.date) -> None:
        self.rng = random.Random(SEED)
        self.cases = cases  # sorted by intake date
        self.intakes = [c.intake_date for c in cases]
        self.resources = resources
        self.today = today
        self.load: Counter[int] = Counter()
        self.used_pairs: set[tuple[int, int]] = set()
        self.plans: list[Plan] = []
        self.jobs: list[tuple[Case, dt.date, str]] = []
        self.training_persons: set[int] = set()
        self.employed_persons: set[int] = set()

    # Choosing ---------------------------------------------------------------------------

    def pick_case(
        self,
        *,
        latest_intake: dt.date,
        open_on: dt.date,
        where: Callable[[Case], bool] | None = None,
        recent_days: int = 730,
    ) -> Case | None:
        """The least-used eligible case, preferring cases opened in the last two years."""

        def ok(c: Case) -> bool:
            return (c.closed_on is None or c.closed_on >= open_on) and (where is None or where(c))

        hi = bisect.bisect_right(self.intakes, latest_intake)
        lo = bisect.bisect_left(self.intakes, latest_intake - dt.timedelta(recent_days))
        eligible = [c for c in self.cases[lo:hi] if ok(c)] or [c for c in self.cases[:lo] if ok(c)]
        if not eligible:
            return None
        least = min(self.load[c.pk] for c in eligible)
        case = self.rng.choice([c for c in eligible if self.load[c.pk] == least])
        self.load[case.pk] += 1
        return case

    def pick_resource(self, case: Case, kinds: set[str], on: dt.date) -> Resource | None:
        candidates = [
            r
            for r in self.resources
            if r.kind.code in kinds
            and r.active
            and (r.opened_on is None or r.opened_on <= on)
            and (case.pk, r.pk) not in self.used_pairs
        ]
        local = [r for r in candidates if r.municipality_id == case.municipality_id]
        near = [
            r
            for r in candidates
            if r.municipality is None
            or r.municipality.jurisdiction_id == case.municipality.jurisdiction_id
        ]
        pool = local if local and self.rng.random() < 0.6 else near or candidates
        return self.rng.choice(pool) if pool else None

    def day_between(self, start: dt.date, end: dt.date, *, late: bool = False) -> dt.date:
        span = max((end - start).days, 0)
        offset = self.rng.triangular(0, span, span) if late else self.rng.uniform(0, span)
        return start + dt.timedelta(days=round(offset))

    # Building referrals -----------------------------------------------------------------

    def connected(
        self,
        *,
        kinds: set[str],
        start: dt.date,
        end: dt.date,
        where: Callable[[Case], bool] | None = None,
        late: bool = False,
        training: bool = False,
    ) -> Plan | None:
        """One referral that reached 'connected' on a day in [start, end]."""
        start = max(start, self.intakes[0] + dt.timedelta(3))
        for _attempt in range(40):
            on = self.day_between(start, end, late=late)
            case = self.pick_case(latest_intake=on - dt.timedelta(3), open_on=on, where=where)
            if case is None:
                continue
            resource = self.pick_resource(case, kinds, on)
            if resource is None:
                continue
            proposed = max(
                case.intake_date,
                on - dt.timedelta(self.rng.randint(7, 60)),
                resource.opened_on or case.intake_date,
            )
            plan = Plan(case=case, resource=resource, proposed_on=proposed, connected_on=on)
            if self.rng.random() < 0.7:
                plan.arranging_on = self.day_between(proposed, on)
            self._after_connection(plan, training=training)
            self._add(plan)
            return plan
        return None

    def _after_connection(self, plan: Plan, *, training: bool) -> None:
        """Notes, and an end for old or closed-case referrals; recent ones stay connected
        with a recent note (only the chosen 'quiet' ones fall on the follow-up list)."""
        texts = NOTES_TRAINING if training else NOTES_IBASHO
        connected = plan.connected_on
        assert connected is not None
        end: dt.date | None = None
        if plan.case.closed_on and plan.case.closed_on < self.today:
            end = max(connected, plan.case.closed_on)
        elif (self.today - connected).days > 365 and self.rng.random() < 0.85:
            end = min(self.today, connected + dt.timedelta(self.rng.randint(60, 360)))
        day = connected + dt.timedelta(self.rng.randint(5, 20))
        last = end or self.today
        while day <= last:
            plan.notes.append((day, self.rng.choice(texts)))
            day += dt.timedelta(
                self.rng.randint(20, 50) if end is None else self.rng.randint(40, 120)
            )
        plan.ended_on = end

    def not_realised(self, *, start: dt.date, end: dt.date) -> None:
        for _attempt in range(40):
            proposed = self.day_between(start, end)
            case = self.pick_case(latest_intake=proposed, open_on=proposed)
            if case is None:
                continue
            kinds = {"ibasho"} if self.rng.random() < 0.8 else {"medical", "employment_support"}
            resource = self.pick_resource(case, kinds, proposed)
            if resource is None:
                continue
            plan = Plan(case=case, resource=resource, proposed_on=proposed)
            last = proposed + dt.timedelta(self.rng.randint(7, 60))
            if self.rng.random() < 0.5:
                plan.arranging_on = min(self.today, proposed + dt.timedelta(self.rng.randint(0, 7)))
                last = max(last, plan.arranging_on)
            plan.not_realised_on = min(last, self.today)
            plan.reason = self.rng.choices(Referral.NotRealisedReason.values, weights=[5, 2, 3, 1])[
                0
            ]
            if plan.reason == Referral.NotRealisedReason.OTHER:
                plan.detail = self.rng.choice(NOT_REALISED_DETAILS)
            self._add(plan)
            return

    def job_after_training(self, *, start: dt.date, end: dt.date) -> None:
        """A person connected to work training, then employed (a new person each time)."""
        taken = self.training_persons | self.employed_persons
        for _attempt in range(60):
            started = self.day_between(start + dt.timedelta(20), end)
            case = self.pick_case(
                latest_intake=started - dt.timedelta(45),
                open_on=started,
                where=lambda c: c.person_id not in taken,
            )
            if case is None:
                continue
            earliest = max(case.intake_date + dt.timedelta(3), started - dt.timedelta(200))
            on = self.day_between(earliest, started - dt.timedelta(14))
            resource = self.pick_resource(case, _work_training_codes(self.resources), on)
            if resource is None:
                continue
            proposed = max(case.intake_date, resource.opened_on or case.intake_date)
            proposed = max(proposed, on - dt.timedelta(self.rng.randint(10, 40)))
            plan = Plan(case=case, resource=resource, proposed_on=proposed, connected_on=on)
            plan.arranging_on = self.day_between(proposed, on)
            day = on + dt.timedelta(7)
            while day < started:
                plan.notes.append((day, self.rng.choice(NOTES_TRAINING)))
                day += dt.timedelta(self.rng.randint(21, 45))
            # The training ends as the job starts.
            plan.ended_on = max(on, started - dt.timedelta(self.rng.randint(0, 10)))
            self._add(plan)
            self.training_persons.add(case.person_id)
            self.employed_persons.add(case.person_id)
            self.jobs.append((case, started, self._job_type(after_training=True)))
            return

    def job_plain(self, *, start: dt.date, end: dt.date) -> None:
        """A person employed without any work-training connection in this system."""
        taken = self.training_persons | self.employed_persons
        for _attempt in range(60):
            started = self.day_between(start, end)
            case = self.pick_case(
                latest_intake=started - dt.timedelta(30),
                open_on=started,
                where=lambda c: c.person_id not in taken,
            )
            if case is None:
                continue
            self.employed_persons.add(case.person_id)
            self.jobs.append((case, started, self._job_type(after_training=False)))
            return

    def _job_type(self, *, after_training: bool) -> str:
        T = EmploymentOutcome.EmploymentType
        if after_training:
            return self.rng.choices([T.PART_TIME, T.REGULAR, T.DISABILITY], [5, 2, 2])[0]
        return self.rng.choices([T.PART_TIME, T.REGULAR, T.WELFARE, T.SELF_EMPLOYED], [5, 3, 2, 1])[
            0
        ]

    def _add(self, plan: Plan) -> None:
        self.used_pairs.add((plan.case.pk, plan.resource.pk))
        self.plans.append(plan)

    # Open referrals for the follow-up lists -------------------------------------------------

    def stuck(self, where: Callable[[Case], bool], count: int) -> None:
        for _ in range(count):
            proposed = self.today - dt.timedelta(self.rng.randint(45, 120))
            case = self.pick_case(latest_intake=proposed, open_on=self.today, where=where)
            resource = self.pick_resource(case, {"ibasho"}, proposed) if case else None
            if case is None or resource is None:
                continue
            arranging = proposed + dt.timedelta(self.rng.randint(2, 10))
            self._add(
                Plan(case=case, resource=resource, proposed_on=proposed, arranging_on=arranging)
            )

    def quiet(self, where: Callable[[Case], bool], count: int) -> None:
        for _ in range(count):
            on = self.today - dt.timedelta(self.rng.randint(100, 300))
            case = self.pick_case(
                latest_intake=on - dt.timedelta(14), open_on=self.today, where=where
            )
            resource = self.pick_resource(case, {"ibasho"}, on) if case else None
            if case is None or resource is None:
                continue
            proposed = on - dt.timedelta(self.rng.randint(7, 14))
            proposed = max(proposed, case.intake_date, resource.opened_on or proposed)
            plan = Plan(case=case, resource=resource, proposed_on=proposed, connected_on=on)
            first_note = on + dt.timedelta(self.rng.randint(5, 10))
            if first_note < self.today - dt.timedelta(95):
                plan.notes.append((first_note, self.rng.choice(NOTES_IBASHO)))
            self._add(plan)

    def recent_open(self, count: int) -> None:
        """Referrals proposed or arranging in the last weeks: normal work in progress."""
        for i in range(count):
            proposed = self.today - dt.timedelta(self.rng.randint(1, 25))
            case = self.pick_case(latest_intake=proposed, open_on=self.today, where=_is_open)
            kinds = {"ibasho", "employment_support"}
            resource = self.pick_resource(case, kinds, proposed) if case else None
            if case is None or resource is None:
                continue
            plan = Plan(case=case, resource=resource, proposed_on=proposed)
            if i % 2:
                plan.arranging_on = min(self.today, proposed + dt.timedelta(self.rng.randint(1, 5)))
            self._add(plan)


def _is_open(case: Case) -> bool:
    return case.status not in Case.CLOSED_STATUSES


def _work_training_codes(resources: list[Resource]) -> set[str]:
    return {r.kind.code for r in resources if r.kind.is_work_training}


def _ibasho_codes_only() -> set[str]:
    return {"ibasho"}


# The steps ---------------------------------------------------------------------------------


def _kinds() -> dict[str, ResourceKind]:
    """The kinds, recreated from the data migration's list if a test flushed them."""
    migration = importlib.import_module("referrals.migrations.0003_seed_resource_kinds")
    for order, (code, name_ja, name_en, ibasho, training) in enumerate(migration.KINDS, 1):
        ResourceKind.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "counts_as_ibasho": ibasho,
                "is_work_training": training,
                "sort_order": order * 10,
            },
        )
    return {k.code: k for k in ResourceKind.objects.all()}


def seed_resources() -> list[Resource]:
    kinds = _kinds()
    municipalities = {m.code: m for m in Municipality.objects.filter(prefecture_code="39")}
    resources = []
    for number, row in enumerate(RESOURCES, start=1):
        # `_supported`: the prefecture's support, written as periods by demo.programme.
        name, kind, operator, code, _supported, opened, active, capacity, days = row
        municipality = municipalities[code] if code else None
        place = municipality.name_ja if municipality else "高知市"
        resource, _created = Resource.objects.update_or_create(
            name=name,
            defaults={
                "kind": kinds[kind],
                "operator_type": operator,
                "prefecture_code": "39",
                "municipality": municipality,
                "address": f"{place}（架空の所在地）",
                "contact": f"000-0000-{number:04d}",
                "opening_days": days,
                "capacity": capacity,
                "opened_on": opened,
                "active": active,
                "notes": "デモ用の架空の社会資源です。",
            },
        )
        resources.append(resource)
    return resources


def seed(*, stdout: Any) -> None:
    resources = seed_resources()
    stdout.write(f"demo resources: {len(resources)}")
    if Referral.objects.exists() or EmploymentOutcome.objects.exists():
        stdout.write("demo referrals: already present, left as they are")
        return
    cases = list(
        Case.objects.filter(municipality__prefecture_code="39")
        .select_related("municipality__jurisdiction", "assigned_counselor")
        .order_by("intake_date", "id")
    )
    if not any(c.intake_date <= R3_WINDOW[1] for c in cases):
        stdout.write("demo referrals: no cases from April–December 2021 yet, skipped")
        return
    today = timezone.localdate()
    resources = list(
        Resource.objects.filter(pk__in=[r.pk for r in resources])
        .select_related("kind", "municipality")
        .order_by("pk")
    )
    planner = Planner(cases, resources, today)
    _plan_periods(planner, today)
    _plan_follow_up(planner)
    created = _create(planner, today)
    _check_r3()
    stdout.write(
        f"demo referrals: {created['referrals']} referrals, {created['jobs']} employment outcomes"
    )


def _plan_periods(planner: Planner, today: dt.date) -> None:
    training = _work_training_codes(planner.resources)
    for period in PERIODS:
        if period.start > today:
            break
        end = min(period.end, today - dt.timedelta(1))
        share = min(1.0, ((end - period.start).days + 1) / ((period.end - period.start).days + 1))

        def scaled(n: int, share: float = share) -> int:
            return round(n * share)

        # Jobs first: they need persons without any earlier work training.
        for _ in range(scaled(period.jobs_after_training)):
            planner.job_after_training(start=period.start, end=end)
        for _ in range(scaled(period.training)):
            plan = planner.connected(
                kinds=training,
                start=period.start,
                end=end,
                where=lambda c: c.person_id not in planner.employed_persons,
                training=True,
            )
            if plan:
                planner.training_persons.add(plan.case.person_id)
        for _ in range(scaled(period.ibasho)):
            planner.connected(kinds=_ibasho_codes_only(), start=period.start, end=end, late=True)
        for _ in range(scaled(period.other)):
            planner.connected(
                kinds={"medical", "employment_support", "consultation", "other"},
                start=period.start,
                end=end,
            )
        for _ in range(scaled(period.not_realised)):
            planner.not_realised(start=period.start, end=end)
        for _ in range(scaled(period.jobs_plain)):
            planner.job_plain(start=period.start, end=end)


def _plan_follow_up(planner: Planner) -> None:
    users = {
        u.username: u for u in User.objects.filter(username__in=["soudan-kochi", "soudan-aki"])
    }

    def in_kochi(c: Case) -> bool:
        return _is_open(c) and c.municipality.code == KOCHI_CITY

    def in_aki(c: Case) -> bool:
        return _is_open(c) and c.municipality.jurisdiction.name_ja == AKI_JURISDICTION

    def own_first(where: Callable[[Case], bool], user: User | None) -> Callable[[Case], bool]:
        """The demo counselor's own cases if the cases step assigned any."""
        if user is None or not any(
            where(c) and c.assigned_counselor_id == user.pk for c in planner.cases
        ):
            return where
        return lambda c: where(c) and c.assigned_counselor_id == user.pk

    kochi = own_first(in_kochi, users.get("soudan-kochi"))
    aki = own_first(in_aki, users.get("soudan-aki"))
    planner.stuck(kochi, 3)
    planner.stuck(aki, 3)
    planner.stuck(_is_open, 4)
    planner.quiet(kochi, 3)
    planner.quiet(aki, 2)
    planner.quiet(_is_open, 2)
    planner.recent_open(10)


def _create(planner: Planner, today: dt.date) -> dict[str, int]:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["soudan-kochi", "soudan-aki", "center"])
    }

    def who(case: Case) -> User | None:
        if case.assigned_counselor is not None:
            return case.assigned_counselor
        if case.municipality.code == KOCHI_CITY:
            return users.get("soudan-kochi")
        if case.municipality.jurisdiction.name_ja == AKI_JURISDICTION:
            return users.get("soudan-aki")
        return users.get("center")

    plans = sorted(planner.plans, key=lambda p: (p.proposed_on, p.case.pk, p.resource.pk))
    history = ConfigHistory.load()
    referrals = Referral.objects.bulk_create(
        Referral(
            case=p.case,
            municipality_id=p.case.municipality_id,  # bulk_create skips save()
            resource=p.resource,
            status=p.status,
            proposed_on=p.proposed_on,
            arranging_on=p.arranging_on,
            connected_on=p.connected_on,
            ended_on=p.ended_on,
            not_realised_on=p.not_realised_on,
            not_realised_reason=p.reason,
            not_realised_detail=p.detail,
            created_by=who(p.case),
            # What referral_connect stamps (bulk_create skips the service).
            **(stamp(history, p.resource, p.connected_on) if p.connected_on else {}),
        )
        for p in plans
    )
    transitions = []
    notes: list[Any] = []
    for plan, referral in zip(plans, referrals, strict=True):
        by = who(plan.case)
        steps = [
            (Referral.Status.PROPOSED, plan.proposed_on),
            (Referral.Status.ARRANGING, plan.arranging_on),
            (Referral.Status.CONNECTED, plan.connected_on),
            (Referral.Status.ENDED, plan.ended_on),
            (Referral.Status.NOT_REALISED, plan.not_realised_on),
        ]
        previous = ""
        for status, on in steps:
            if on is None:
                continue
            transitions.append(
                ReferralTransition(
                    referral=referral, from_status=previous, to_status=status, on=on, by=by
                )
            )
            previous = status
        notes.extend(
            ReferralNote(referral=referral, date=day, text=text, by=by) for day, text in plan.notes
        )
    ReferralTransition.objects.bulk_create(transitions)
    ReferralNote.objects.bulk_create(notes)

    outcomes = []
    for case, started, kind in sorted(planner.jobs, key=lambda j: (j[1], j[0].pk)):
        basis = work_training_basis(person_id=case.person_id, started_on=started)
        outcomes.append(
            EmploymentOutcome(
                case=case,
                municipality_id=case.municipality_id,  # bulk_create skips save()
                person_id=case.person_id,
                started_on=started,
                employment_type=kind,
                after_intermediate=basis is not None,
                after_intermediate_source=EmploymentOutcome.Source.AUTOMATIC,
                basis_referral=basis,
                recorded_by=who(case),
            )
        )
    EmploymentOutcome.objects.bulk_create(outcomes)
    return {"referrals": len(referrals), "jobs": len(outcomes)}


def _check_r3() -> None:
    """The seed document's figures must come out exactly; fail loudly if they do not."""
    links = Referral.objects.counting_as_ibasho().connected_between(*R3_WINDOW).count()
    persons = (
        EmploymentOutcome.objects.filter(Q(after_intermediate=True), started_on__range=R3_WINDOW)
        .values("person")
        .distinct()
        .count()
    )
    if (links, persons) != (R3_LINKS, R3_EMPLOYED_AFTER_TRAINING):
        raise RuntimeError(
            f"demo referrals: April–December 2021 gives {links} links and {persons} persons, "
            f"expected {R3_LINKS} and {R3_EMPLOYED_AFTER_TRAINING}"
        )
