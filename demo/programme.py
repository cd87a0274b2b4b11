"""Demo data for the programme (fictional, deterministic), after the seed's R3 situation:

- the fact-finding register holds the survey's 692 persons (R3), by municipality as in the
  survey counts (demo.kpi), most reported by 民生委員; some reached by outreach since, and
  some matched to a case opened at intake (the case existed already: linking it leaves K1's
  211 as it is); a few open entries have an outreach due for the demo counselors' home page;
- every case meeting marked as supported has its supervision request, given (the R3.12 figure
  of 10 municipalities comes from those meetings);
- training in every jurisdiction each year except one in R3 (the dashboard shows which had
  none), with attendance by municipality and agency; leaflet and poster campaigns;
- the prefecture supports 6 ibasho and 1 work site in R3 (with an incentive), as periods;
- some cases since the first leaflet campaign came through publicity (their route).

Idempotent: each part is skipped when its rows exist.
"""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from cases.models import AgeBand, Case
from core.fiscal import current_fiscal_year, fiscal_year_range
from core.models import Jurisdiction, Municipality
from demo.kpi import R3_SURVEY, R3_TOTAL
from kpi.models import SurveyCount
from platforms.models import CaseMeeting
from programme.models import (
    OutreachAttempt,
    PlaceSupport,
    PublicityAction,
    SupervisionRequest,
    SurveyEntry,
    TrainingAttendance,
    TrainingEvent,
)
from referrals.models import Resource

PREFECTURE = "39"
SURVEY_START = dt.date(2021, 6, 1)
FIRST_LEAFLET = dt.date(2021, 6, 15)
NO_TRAINING_R3 = "幡多福祉保健所"  # the jurisdiction without training in R3

REPORTERS = [
    (SurveyEntry.Reporter.WELFARE_VOLUNTEER, 70),
    (SurveyEntry.Reporter.COMMUNITY_CARE, 12),
    (SurveyEntry.Reporter.SCHOOL, 4),
    (SurveyEntry.Reporter.SOCIAL_WELFARE_COUNCIL, 6),
    (SurveyEntry.Reporter.NEIGHBOUR, 5),
    (SurveyEntry.Reporter.OTHER, 3),
]
AGE_BANDS = [
    (AgeBand.AGE_20S, 12), (AgeBand.AGE_30S, 18), (AgeBand.AGE_40S, 22), (AgeBand.AGE_50S, 20),
    (AgeBand.AGE_60S, 12), (AgeBand.AGE_15_19, 4), (AgeBand.UNKNOWN, 12),
]  # fmt: skip
DURATIONS = [
    (Case.WithdrawalDuration.Y1_TO_3, 15), (Case.WithdrawalDuration.Y3_TO_5, 15),
    (Case.WithdrawalDuration.Y5_TO_10, 20), (Case.WithdrawalDuration.OVER_10Y, 30),
    (Case.WithdrawalDuration.UNKNOWN, 20),
]  # fmt: skip
HOUSEHOLDS = [
    (SurveyEntry.HouseholdType.ELDERLY_PARENTS, 35), (SurveyEntry.HouseholdType.PARENTS, 30),
    (SurveyEntry.HouseholdType.ALONE, 15), (SurveyEntry.HouseholdType.SPOUSE, 5),
    (SurveyEntry.HouseholdType.UNKNOWN, 15),
]  # fmt: skip
NOTES = [
    "日中は自室にいることが多く、近所づきあいはない。親が高齢になり心配している。",
    "数年前に離職してから外出が減った。家族は相談先が分からないと話している。",
    "買い物には夜間に出かける様子。親の介護サービス利用時に把握。",
    "学校を卒業後、家にいる。家族は本人の将来を案じている。",
    "親の入院をきっかけに把握。本人は来客に応じない。",
]
SUPERVISORS = [
    "センター 臨床心理士 山本",
    "センター 精神保健福祉士 森",
    "保健師 川村",
    "保健師 西岡",
]
ADVICE = [
    "家族の疲労に配慮し、まず家族面談の頻度を上げる。本人への直接の働きかけは急がない。",
    "医療機関との連携は本人の同意を確認してから。支援会議で役割分担を明確にすること。",
    "居場所の情報は手紙で届け、反応を待つ。訪問は2人で、時間を短く。",
    "世帯全体の課題（介護・生活費）から入ると関係がつくりやすい。",
]
TRAINING_TITLES = {
    TrainingEvent.Kind.TRAINING: "ひきこもり支援研修会",
    TrainingEvent.Kind.CASE_STUDY: "事例検討会",
    TrainingEvent.Kind.AWARENESS: "ひきこもり理解のための普及啓発講座",
}
AGENCIES = ["市町村担当課", "社会福祉協議会", "地域包括支援センター", "民生委員・児童委員"]
# Places the prefecture supports: (resource name, start, end, incentive).
SUPPORT = [
    ("あったかふれあいセンター こもれび 居場所", dt.date(2019, 4, 1), None, False),
    ("あったかふれあいセンター いろり 居場所", dt.date(2019, 4, 1), None, False),
    ("あったかふれあいセンター しおかぜ 居場所", dt.date(2020, 4, 1), None, False),
    ("家族会の居場所「ほっとルーム」", dt.date(2019, 4, 1), None, False),
    ("NPO法人みちくさ 居場所「のきした」", dt.date(2019, 4, 1), None, False),
    ("NPO法人くろしおネット 居場所「なぎさ」", dt.date(2021, 4, 1), None, False),
    # Supported before R3 only: not counted in R3.
    ("あったかふれあいセンター ひなた 居場所", dt.date(2019, 4, 1), dt.date(2021, 3, 31), False),
    # From R5.
    ("あったかふれあいセンター ゆずの木 居場所", dt.date(2023, 4, 1), None, False),
    ("就労訓練事業所「ひかり農園」", dt.date(2019, 4, 1), None, True),
    ("中間的就労「まちの清掃チーム」", dt.date(2023, 4, 1), None, True),
]


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def seed_register(today: dt.date) -> int:
    if SurveyEntry.objects.exists():
        return 0
    rng = random.Random("programme-register")
    counts = dict(
        SurveyCount.objects.filter(
            survey_date=R3_SURVEY, municipality__prefecture_code=PREFECTURE
        ).values_list("municipality_id", "persons")
    )
    municipalities = list(Municipality.objects.filter(prefecture_code=PREFECTURE).order_by("code"))
    if not municipalities:
        return 0
    if sum(counts.values()) != R3_TOTAL:
        # No survey counts (demo.kpi not run): spread the total evenly.
        base, extra = divmod(R3_TOTAL, len(municipalities))
        counts = {m.pk: base + (i < extra) for i, m in enumerate(municipalities)}
    entries = []
    for m in municipalities:
        for _n in range(counts.get(m.pk, 0)):
            household = _pick(rng, HOUSEHOLDS)
            entries.append(
                SurveyEntry(
                    municipality=m,
                    reported_on=_day(rng, SURVEY_START, R3_SURVEY),
                    reporter=_pick(rng, REPORTERS),
                    reporter_note="デモ（実態把握調査）",
                    age_band=_pick(rng, AGE_BANDS),
                    withdrawal_duration=_pick(rng, DURATIONS),
                    household=household,
                    agency_involved=rng.random() < 0.2,
                    notes=rng.choice(NOTES),
                )
            )
    SurveyEntry.objects.bulk_create(entries)
    entries = list(SurveyEntry.objects.select_related("municipality").order_by("id"))
    _seed_outreach(rng, entries, today)
    _link_cases(entries)
    return len(entries)


def _seed_outreach(rng: random.Random, entries: list[SurveyEntry], today: dt.date) -> None:
    attempts = []
    due = []
    for entry in entries:
        if rng.random() > 0.35:
            continue
        day = entry.reported_on + dt.timedelta(days=rng.randint(20, 60))
        for _n in range(rng.randint(1, 3)):
            if day > today:
                break
            method = _pick(
                rng,
                [
                    (OutreachAttempt.Method.VISIT, 55),
                    (OutreachAttempt.Method.LETTER, 25),
                    (OutreachAttempt.Method.PHONE, 15),
                    (OutreachAttempt.Method.ACCOMPANY, 5),
                ],
            )
            if method == OutreachAttempt.Method.LETTER:
                outcome = OutreachAttempt.Outcome.LETTER_LEFT
            else:
                outcome = _pick(
                    rng,
                    [
                        (OutreachAttempt.Outcome.MET, 20),
                        (OutreachAttempt.Outcome.FAMILY_ONLY, 35),
                        (OutreachAttempt.Outcome.ABSENT, 30),
                        (OutreachAttempt.Outcome.REFUSED, 15),
                    ],
                )
            two = method == OutreachAttempt.Method.VISIT and rng.random() < 0.7
            attempts.append(
                OutreachAttempt(
                    entry=entry,
                    date=day,
                    method=method,
                    outcome=outcome,
                    two_person=two,
                    companion="地区の民生委員" if two else "",
                    notes="デモ用の記録です。",
                    recorded_by=None,
                )
            )
            day += dt.timedelta(days=rng.randint(14, 45))
    OutreachAttempt.objects.bulk_create(attempts)
    # A few open entries of the demo counselors' areas with an outreach due around today.
    kochi = [e for e in entries if e.municipality.code == "392014"][:4]
    aki = [e for e in entries if e.municipality.code in ("392022", "392031")][:3]
    for n, entry in enumerate(kochi + aki):
        entry.next_outreach_on = today + dt.timedelta(days=n - 3)
        due.append(entry)
    SurveyEntry.objects.bulk_update(due, ["next_outreach_on"])


def _link_cases(entries: list[SurveyEntry]) -> None:
    """Match entries to cases already opened at intake through a watcher (same municipality,
    intake on or after the report): the register's 「相談につながった」, without new cases."""
    routes = [
        Case.Route.WELFARE_VOLUNTEER,
        Case.Route.COMMUNITY_CARE,
        Case.Route.SCHOOL,
        Case.Route.SOCIAL_WELFARE_COUNCIL,
    ]
    cases = list(
        Case.objects.filter(
            municipality__prefecture_code=PREFECTURE,
            intake_route__in=routes,
            intake_date__gte=SURVEY_START,
        ).order_by("intake_date", "id")
    )
    by_muni: dict[int, list[SurveyEntry]] = {}
    for entry in entries:
        by_muni.setdefault(entry.municipality_id, []).append(entry)
    linked = []
    for n, case in enumerate(cases):
        if n % 2:  # about half of those intakes were people the survey had found
            continue
        candidates = [
            e for e in by_muni.get(case.municipality_id, []) if e.reported_on <= case.intake_date
        ]
        if not candidates:
            continue
        entry = candidates[n % len(candidates)]
        by_muni[case.municipality_id].remove(entry)
        entry.case = case
        entry.age_band = case.age_band_at_intake
        entry.next_outreach_on = None
        linked.append(entry)
    SurveyEntry.objects.bulk_update(linked, ["case", "age_band", "next_outreach_on"])


def seed_supervision(today: dt.date) -> int:
    if SupervisionRequest.objects.exists():
        return 0
    rng = random.Random("programme-supervision")
    meetings = (
        CaseMeeting.objects.filter(municipality__prefecture_code=PREFECTURE)
        .exclude(supervision=CaseMeeting.Supervision.NONE)
        .select_related("municipality")
        .order_by("held_on", "id")
    )
    rows = []
    for meeting in meetings:
        # Asked for in the weeks before, within the meeting's own fiscal year.
        fy_start = fiscal_year_range(current_fiscal_year(meeting.held_on))[0]
        requested = max(fy_start, meeting.held_on - dt.timedelta(days=rng.randint(5, 20)))
        center = meeting.supervision != CaseMeeting.Supervision.HEALTH_OFFICE
        held = meeting.held_on <= today
        given, accepted = SupervisionRequest.Status.GIVEN, SupervisionRequest.Status.ACCEPTED
        by_center, by_office = SupervisionRequest.Body.CENTER, SupervisionRequest.Body.HEALTH_OFFICE
        rows.append(
            SupervisionRequest(
                municipality=meeting.municipality,
                meeting=meeting,
                requested_on=requested,
                question="支援方針について助言をお願いしたい。（デモ）",
                status=given if held else accepted,
                body=by_center if center else by_office,
                jurisdiction=None if center else meeting.municipality.jurisdiction,
                supervisor_name=rng.choice(SUPERVISORS[:2] if center else SUPERVISORS[2:]),
                accepted_on=min(meeting.held_on, requested + dt.timedelta(days=rng.randint(1, 5))),
                given_on=meeting.held_on if held else None,
                advice=rng.choice(ADVICE) if held else "",
            )
        )  # fmt: skip
    # Two requests still waiting for an answer, on recent meetings without supervision.
    recent = (
        CaseMeeting.objects.filter(
            municipality__prefecture_code=PREFECTURE,
            supervision=CaseMeeting.Supervision.NONE,
            held_on__lte=today,
        )
        .select_related("municipality")
        .order_by("-held_on", "-id")[:2]
    )
    for meeting in recent:
        rows.append(
            SupervisionRequest(
                municipality=meeting.municipality,
                meeting=meeting,
                requested_on=min(today, meeting.held_on + dt.timedelta(days=3)),
                question="次回の会議で、本人への関わり方について助言がほしい。（デモ）",
            )
        )
    SupervisionRequest.objects.bulk_create(rows)
    return len(rows)


def seed_training(today: dt.date) -> int:
    if TrainingEvent.objects.exists():
        return 0
    rng = random.Random("programme-training")
    jurisdictions = list(
        Jurisdiction.objects.filter(prefecture_code=PREFECTURE).order_by("sort_order", "pk")
    )
    municipalities: dict[int, list[Municipality]] = {}
    for m in Municipality.objects.filter(prefecture_code=PREFECTURE).order_by("code"):
        municipalities.setdefault(m.jurisdiction_id or 0, []).append(m)
    events: list[tuple[TrainingEvent, list[Municipality]]] = []
    for fy in range(2021, current_fiscal_year(today) + 1):
        start, end = fiscal_year_range(fy)
        end = min(end, today)
        if start > end:
            break
        for j in jurisdictions:
            if fy == 2021 and j.name_ja == NO_TRAINING_R3:
                continue
            for _n in range(rng.randint(1, 2)):
                kind = rng.choice(list(TrainingEvent.Kind))
                audience = {
                    TrainingEvent.Kind.TRAINING: TrainingEvent.Audience.MUNICIPAL_STAFF,
                    TrainingEvent.Kind.CASE_STUDY: TrainingEvent.Audience.AGENCIES,
                    TrainingEvent.Kind.AWARENESS: rng.choice(
                        [TrainingEvent.Audience.WELFARE_VOLUNTEERS, TrainingEvent.Audience.FAMILIES]
                    ),
                }[kind]
                event = TrainingEvent(
                    prefecture_code=PREFECTURE,
                    title=f"{j.name_ja} {TRAINING_TITLES[kind]}",
                    kind=kind,
                    held_on=_day(rng, start, end),
                    jurisdiction=j,
                    organiser=j.name_ja,
                    audience=audience,
                    notes="デモ用の研修です。",
                )
                events.append((event, municipalities.get(j.pk, [])))
        # One prefecture-wide training a year by the centre.
        wide = TrainingEvent(
            prefecture_code=PREFECTURE,
            title="ひきこもり地域支援センター 全県研修会",
            kind=TrainingEvent.Kind.TRAINING,
            held_on=_day(rng, start, end),
            organiser="ひきこもり地域支援センター",
            audience=TrainingEvent.Audience.MUNICIPAL_STAFF,
            notes="デモ用の研修です。",
        )
        events.append((wide, [m for ms in municipalities.values() for m in ms]))
    TrainingEvent.objects.bulk_create([e for e, _m in events])
    rows = []
    for event, places in events:
        for m in rng.sample(places, k=min(len(places), rng.randint(2, 6))):
            for agency in rng.sample(AGENCIES, k=rng.randint(1, 2)):
                rows.append(
                    TrainingAttendance(
                        event=event, municipality=m, agency=agency, attendees=rng.randint(1, 8)
                    )
                )
    TrainingAttendance.objects.bulk_create(rows)
    return len(events)


def seed_publicity(today: dt.date) -> int:
    if PublicityAction.objects.exists():
        return 0
    rng = random.Random("programme-publicity")
    municipalities = list(Municipality.objects.filter(prefecture_code=PREFECTURE).order_by("code"))
    rows = []
    for fy in range(2021, current_fiscal_year(today) + 1):
        start, end = fiscal_year_range(fy)
        if start > today:
            break
        leaflet_day = FIRST_LEAFLET if fy == 2021 else start + dt.timedelta(days=70)
        if leaflet_day <= today:
            rows.append(
                PublicityAction(
                    prefecture_code=PREFECTURE,
                    kind=PublicityAction.Kind.LEAFLET,
                    title=f"ひきこもり相談窓口リーフレット（{fy}年度版）",
                    done_on=leaflet_day,
                    where="市町村窓口・公民館・医療機関・スーパー",
                    quantity=8000,
                )
            )
        poster_day = start + dt.timedelta(days=160)
        if poster_day <= today:
            rows.append(
                PublicityAction(
                    prefecture_code=PREFECTURE,
                    kind=PublicityAction.Kind.POSTER,
                    title="相談窓口ポスター",
                    done_on=poster_day,
                    where="駅・図書館・コンビニエンスストア",
                    quantity=600,
                )
            )
        for m in rng.sample(municipalities, k=5):
            day = _day(rng, start, min(end, today))
            rows.append(
                PublicityAction(
                    prefecture_code=PREFECTURE,
                    kind=rng.choice([PublicityAction.Kind.ARTICLE, PublicityAction.Kind.LEAFLET]),
                    title=f"{m.name_ja} 広報誌 ひきこもり相談の案内",
                    done_on=day,
                    municipality=m,
                    where=f"{m.name_ja}の全戸配布",
                    quantity=rng.randint(2, 40) * 100,
                )
            )
        web_day = start + dt.timedelta(days=30)
        if web_day <= today:
            rows.append(
                PublicityAction(
                    prefecture_code=PREFECTURE,
                    kind=PublicityAction.Kind.WEB,
                    title="県ホームページ・SNSでの相談窓口案内",
                    done_on=web_day,
                    where="県ホームページ、県公式SNS",
                )
            )
    PublicityAction.objects.bulk_create(rows)
    return len(rows)


def seed_publicity_route() -> int:
    """Some people who called on their own since the first leaflet had seen it."""
    if Case.objects.filter(intake_route=Case.Route.PUBLICITY).exists():
        return 0
    ids = list(
        Case.objects.filter(
            municipality__prefecture_code=PREFECTURE,
            intake_route__in=[Case.Route.SELF, Case.Route.FAMILY],
            intake_date__gt=FIRST_LEAFLET,
            survey_entry__isnull=True,
        )
        .order_by("intake_date", "id")
        .values_list("pk", flat=True)
    )[::9]
    return Case.objects.filter(pk__in=ids).update(intake_route=Case.Route.PUBLICITY)


def seed_support() -> int:
    if PlaceSupport.objects.exists():
        return 0
    resources = {r.name: r for r in Resource.objects.filter(prefecture_code=PREFECTURE)}
    rows = [
        PlaceSupport(
            resource=resources[name],
            kind=PlaceSupport.Kind.COMMISSION if incentive else PlaceSupport.Kind.SUBSIDY,
            starts_on=starts,
            ends_on=ends,
            incentive=incentive,
            incentive_note="訓練1日あたりの奨励金" if incentive else "",
            note="デモ",
        )
        for name, starts, ends, incentive in SUPPORT
        if name in resources
    ]
    PlaceSupport.objects.bulk_create(rows)
    return len(rows)


def seed(*, stdout: Any) -> None:
    today = timezone.localdate()
    counts = {
        "support periods": seed_support(),
        "register entries": seed_register(today),
        "supervision requests": seed_supervision(today),
        "training events": seed_training(today),
        "publicity actions": seed_publicity(today),
        "cases through publicity": seed_publicity_route(),
    }
    stdout.write("programme: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
