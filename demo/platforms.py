"""Demo data for platforms, municipal status and case meetings (fictional, deterministic).

The figures follow the seed document's FY2021 (R3) situation:
- platforms established in exactly 14 municipalities by 2021-10-31;
- needs assessment done in exactly 9 municipalities by 2021-10-31;
- case meetings in exactly 10 municipalities during April–December 2021, each with at least
  one meeting supported by the centre or a 福祉保健所;
then more every year, most municipalities by FY2025, and FY2026 up to today.

Idempotent: rows are matched on natural keys (agency name; one platform and one status row
per municipality and year; a meeting's municipality, date and kind), so a second run changes
nothing. Existing cases of a meeting's municipality are attached when there are some.
"""

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.utils import timezone

from accounts.models import User
from cases.models import Case
from core.fiscal import current_fiscal_year, fiscal_year_range
from core.models import Jurisdiction, Municipality
from platforms.models import Agency, CaseMeeting, FollowUpAction, MunicipalStatus, Platform

PREFECTURE = "39"
FIRST_FY = 2021
R3_OCTOBER = dt.date(2021, 10, 31)
R3_DECEMBER = dt.date(2021, 12, 31)
PLATFORMS_BY_R3_OCTOBER = 14
ASSESSED_BY_R3_OCTOBER = 9
MEETING_MUNICIPALITIES_R3 = 10

KOCHI_CITY, MUROTO, AKI_CITY = "392014", "392022", "392031"
# Municipalities the demo counselors (soudan-kochi, soudan-aki) follow: always among the first.
FIRST_MOVERS = [KOCHI_CITY, MUROTO, AKI_CITY]

# How many municipalities newly establish a platform / start assessing, per fiscal year after
# FY2021; and how many municipalities hold case meetings in each fiscal year.
PLATFORM_WAVES = {2022: 6, 2023: 5, 2024: 4, 2025: 2}
PLATFORMS_PREPARING = 2
ASSESSMENT_WAVES = {2022: 6, 2023: 5, 2024: 4, 2025: 3}
ASSESSED_LATER_IN_R3 = 4
MEETING_MUNICIPALITIES = {2021: 10, 2022: 16, 2023: 21, 2024: 26, 2025: 30}
MEETING_MUNICIPALITIES_LATER = 31
JUSOTEKI_WAVES = {2021: 3, 2022: 3, 2023: 3, 2024: 3, 2025: 2, 2026: 2}

DEMO_OWNERS = {"soudan-kochi": [KOCHI_CITY], "soudan-aki": "安芸福祉保健所"}

DECISIONS = [
    "月1回の家庭訪問を継続し、次回会議で本人の様子を共有する。",
    "母親の介護サービス利用について地域包括支援センターが調整する。",
    "居場所の見学を本人に提案する。同行は相談員が行う。",
    "生活困窮の相談窓口につなぎ、家計の状況を確認する。",
    "学校とスクールソーシャルワーカーで情報を共有し、登校にこだわらない支援を続ける。",
    "就労体験の受入先を社会福祉協議会が探す。",
    "民生委員が見守りを続け、変化があれば担当課に連絡する。",
    "医療機関の受診を家族に勧め、受診の同行を検討する。",
    "世帯全体の支援方針を確認し、役割分担を決めた。",
    "3か月後に再度ケース会議を開き、支援の効果を確認する。",
]
MINUTES = [
    "（秘）母親から、本人が夜間に外出するようになったとの報告。家族の疲労が大きい。",
    "（秘）父親の入院により世帯の収入が減少。本人は将来への不安を口にしている。",
    "（秘）本人が自室から出る時間が増えた。オンラインでの面談には応じている。",
    "（秘）きょうだいが家事と介護を担っており、ヤングケアラーとしての配慮が必要。",
    "（秘）近隣との関係が悪化している。ごみの片付けについて本人の同意は得られていない。",
    "（秘）家族会への参加後、母親の表情が明るくなった。本人の来所はまだない。",
]
ACTIONS = [
    "家庭訪問の日程を家族と調整する",
    "居場所の担当者に見学の受入れを依頼する",
    "地域包括支援センターに介護サービスの調整を依頼する",
    "次回ケース会議の日程を調整する",
    "社会福祉協議会に就労体験の受入先を照会する",
    "医療機関への受診同行の可否を確認する",
]


def _stems(municipality: Municipality) -> list[tuple[Agency.Kind, str]]:
    """(kind, fictional name) of the agencies every municipality gets in the demo."""
    name = municipality.name_ja
    agencies = [
        (Agency.Kind.SOCIAL_WELFARE_COUNCIL, f"{name}ひだまり社会福祉協議会"),
        (Agency.Kind.COMMUNITY_CARE, f"{name}あおぞら地域包括支援センター"),
        (Agency.Kind.MUNICIPAL_OFFICE, f"{name}くらしサポート課"),
        (Agency.Kind.WELFARE_VOLUNTEER, f"{name}なかよし地区民生委員・児童委員協議会"),
    ]
    if municipality.kind == Municipality.Kind.CITY:
        agencies.append((Agency.Kind.NPO, f"NPO法人{name}ひなたの庭"))
    else:
        agencies.append((Agency.Kind.ATTAKA_CENTER, f"あったかふれあいセンター{name}こもれび"))
    return agencies


PREFECTURE_WIDE = [
    (Agency.Kind.SUPPORT_CENTER, "ひきこもり地域支援センター（デモ）"),
    (Agency.Kind.HELLO_WORK, "ハローワークくろしお（デモ）"),
    (Agency.Kind.HELLO_WORK, "ハローワークやまなみ（デモ）"),
    (Agency.Kind.FAMILY_ASSOCIATION, "ひきこもり家族会 つばさの会（デモ）"),
    (Agency.Kind.MEDICAL, "こころのクリニック みどり（デモ）"),
    (Agency.Kind.OTHER, "地域若者サポートステーション ひかり（デモ）"),
]


def _health_office_name(jurisdiction: Jurisdiction) -> str:
    return f"{jurisdiction.name_ja}（デモ）"


def _seed_agencies(municipalities: list[Municipality]) -> dict[str, Agency]:
    wanted: list[Agency] = [
        Agency(name=name, kind=kind, municipality=None, prefecture_code=PREFECTURE)
        for kind, name in PREFECTURE_WIDE
    ]
    jurisdictions = {m.jurisdiction_id: m.jurisdiction for m in municipalities}
    for jurisdiction in sorted(jurisdictions.values(), key=lambda j: (j.sort_order, j.pk)):
        wanted.append(
            Agency(
                name=_health_office_name(jurisdiction),
                kind=Agency.Kind.HEALTH_OFFICE,
                municipality=None,
                prefecture_code=PREFECTURE,
            )
        )
    for municipality in municipalities:
        wanted.extend(
            Agency(name=name, kind=kind, municipality=municipality, prefecture_code=PREFECTURE)
            for kind, name in _stems(municipality)
        )
    existing = set(Agency.objects.filter(prefecture_code=PREFECTURE).values_list("name", flat=True))
    Agency.objects.bulk_create([a for a in wanted if a.name not in existing])
    return {a.name: a for a in Agency.objects.filter(prefecture_code=PREFECTURE)}


def _ranking(rng: random.Random, municipalities: list[Municipality]) -> list[Municipality]:
    """A deterministic order of "readiness", with the demo counselors' municipalities first."""
    first = [m for code in FIRST_MOVERS for m in municipalities if m.code == code]
    rest = [m for m in municipalities if m not in first]
    rng.shuffle(rest)
    return first + rest


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _seed_platforms(
    rng: random.Random,
    municipalities: list[Municipality],
    agencies: dict[str, Agency],
    today: dt.date,
) -> None:
    order = _ranking(rng, municipalities)
    plan: dict[int, tuple[str, dt.date | None]] = {}
    for m in order[:PLATFORMS_BY_R3_OCTOBER]:
        plan[m.pk] = (
            Platform.Status.ESTABLISHED,
            _random_date(rng, dt.date(2019, 6, 1), R3_OCTOBER),
        )
    index = PLATFORMS_BY_R3_OCTOBER
    for fy, count in PLATFORM_WAVES.items():
        start, end = fiscal_year_range(fy)
        for m in order[index : index + count]:
            day = _random_date(rng, start, end)
            plan[m.pk] = (
                (Platform.Status.ESTABLISHED, day)
                if day <= today
                else (Platform.Status.PREPARING, None)
            )
        index += count
    for m in order[index : index + PLATFORMS_PREPARING]:
        plan[m.pk] = (Platform.Status.PREPARING, None)
    for m in order[index + PLATFORMS_PREPARING :]:
        plan[m.pk] = (Platform.Status.NONE, None)

    existing = {
        p.municipality_id: p for p in Platform.objects.filter(municipality__in=municipalities)
    }
    by_pk = {m.pk: m for m in municipalities}
    to_create: list[Platform] = []
    to_update: list[Platform] = []
    for pk, (status, established_on) in plan.items():
        municipality = by_pk[pk]
        coordinator = (
            agencies[_stems(municipality)[0][1]] if status != Platform.Status.NONE else None
        )
        platform = existing.get(pk) or Platform(municipality=municipality)
        platform.status, platform.established_on = status, established_on
        platform.coordinator = coordinator
        platform.notes = (
            "" if status != Platform.Status.PREPARING else "設置に向けて関係機関と協議中（デモ）"
        )
        (to_update if platform.pk else to_create).append(platform)
    Platform.objects.bulk_create(to_create)
    Platform.objects.bulk_update(to_update, ["status", "established_on", "coordinator", "notes"])

    # Members: the municipality's own agencies, its 福祉保健所 and the centre.
    Through = Platform.members.through
    platforms = list(
        Platform.objects.filter(municipality__in=municipalities).select_related(
            "municipality__jurisdiction"
        )
    )
    wanted: set[tuple[int, int]] = set()
    for platform in platforms:
        if platform.status == Platform.Status.NONE:
            continue
        m = platform.municipality
        names = [name for _kind, name in _stems(m)]
        names += [_health_office_name(m.jurisdiction), PREFECTURE_WIDE[0][1]]
        wanted |= {(platform.pk, agencies[n].pk) for n in names if n in agencies}
    current = set(
        Through.objects.filter(platform__in=platforms).values_list("platform_id", "agency_id")
    )
    for platform_id, agency_id in current - wanted:
        Through.objects.filter(platform_id=platform_id, agency_id=agency_id).delete()
    Through.objects.bulk_create(
        [Through(platform_id=p, agency_id=a) for p, a in sorted(wanted - current)]
    )


def _seed_statuses(
    rng: random.Random, municipalities: list[Municipality], today: dt.date, last_fy: int
) -> None:
    order = _ranking(rng, municipalities)
    first_done: dict[int, tuple[int, dt.date]] = {}
    for m in order[:ASSESSED_BY_R3_OCTOBER]:
        first_done[m.pk] = (2021, _random_date(rng, dt.date(2021, 5, 1), R3_OCTOBER))
    index = ASSESSED_BY_R3_OCTOBER
    for m in order[index : index + ASSESSED_LATER_IN_R3]:
        first_done[m.pk] = (2021, _random_date(rng, dt.date(2021, 11, 15), dt.date(2022, 3, 15)))
    index += ASSESSED_LATER_IN_R3
    for fy, count in ASSESSMENT_WAVES.items():
        start, end = fiscal_year_range(fy)
        for m in order[index : index + count]:
            first_done[m.pk] = (fy, _random_date(rng, start, end))
        index += count

    jusoteki_from: dict[int, int] = {}
    order = _ranking(rng, municipalities)  # the generator has moved on: another order
    index = 0
    for fy, count in JUSOTEKI_WAVES.items():
        for m in order[index : index + count]:
            jusoteki_from[m.pk] = fy
        index += count

    wanted: dict[tuple[int, int], tuple[dt.date | None, bool]] = {}
    for m in municipalities:
        for fy in range(FIRST_FY, last_fy + 1):
            assessed: dt.date | None = None
            if m.pk in first_done and fy >= first_done[m.pk][0]:
                if fy == first_done[m.pk][0]:
                    assessed = first_done[m.pk][1]
                else:
                    # Updated every year, between June and October.
                    assessed = _random_date(rng, dt.date(fy, 6, 1), dt.date(fy, 10, 31))
                if assessed > today:
                    assessed = None
            wanted[(m.pk, fy)] = (assessed, fy >= jusoteki_from.get(m.pk, 9999))
    existing = {
        (s.municipality_id, s.fiscal_year): s
        for s in MunicipalStatus.objects.filter(municipality__in=municipalities)
    }
    to_create: list[MunicipalStatus] = []
    to_update: list[MunicipalStatus] = []
    for (pk, fy), (assessed, jusoteki) in wanted.items():
        status = existing.get((pk, fy)) or MunicipalStatus(municipality_id=pk, fiscal_year=fy)
        status.needs_assessed_on, status.jusoteki = assessed, jusoteki
        (to_update if status.pk else to_create).append(status)
    MunicipalStatus.objects.bulk_create(to_create)
    MunicipalStatus.objects.bulk_update(to_update, ["needs_assessed_on", "jusoteki"])


def _meetings_per_year(rng: random.Random, municipality: Municipality) -> int:
    if municipality.code == KOCHI_CITY:
        return rng.randint(10, 14)
    if municipality.kind == Municipality.Kind.CITY:
        return rng.randint(3, 6)
    return rng.randint(1, 3)


def _plan_meetings(
    municipalities: list[Municipality],
    agencies: dict[str, Agency],
    jusoteki: set[tuple[int, int]],
    today: dt.date,
) -> list[tuple[CaseMeeting, list[int]]]:
    """Every demo meeting up to today, with the agencies that took part."""
    order = _ranking(random.Random("platforms-meeting-order"), municipalities)
    center = agencies[PREFECTURE_WIDE[0][1]]
    planned: dict[tuple[int, dt.date, str], tuple[CaseMeeting, list[int]]] = {}
    for fy in range(FIRST_FY, current_fiscal_year(today) + 1):
        # One generator per year: earlier years never change when a new year starts.
        rng = random.Random(f"platforms-meetings-{fy}")
        count = MEETING_MUNICIPALITIES.get(fy, MEETING_MUNICIPALITIES_LATER)
        start, end = fiscal_year_range(fy)
        for m in order[:count]:
            days = sorted(_random_date(rng, start, end) for _ in range(_meetings_per_year(rng, m)))
            if fy == FIRST_FY and days[0] > R3_DECEMBER:
                # FY2021's municipalities all met by December (the R3.12 figure).
                days[0] = _random_date(rng, start, R3_DECEMBER)
            for i, day in enumerate(sorted(days)):
                roll = rng.random()
                if (m.pk, fy) in jusoteki and roll < 0.15:
                    kind = CaseMeeting.Kind.JUSOTEKI
                elif roll < 0.35:
                    kind = CaseMeeting.Kind.SUPPORT
                else:
                    kind = CaseMeeting.Kind.INDIVIDUAL
                if (i == 0 and fy == FIRST_FY) or rng.random() < 0.3:
                    supervision = (
                        CaseMeeting.Supervision.CENTER
                        if m.code == KOCHI_CITY or rng.random() < 0.4
                        else CaseMeeting.Supervision.HEALTH_OFFICE
                    )
                else:
                    supervision = CaseMeeting.Supervision.NONE
                own = [agencies[name].pk for _k, name in _stems(m) if name in agencies]
                members = rng.sample(own, k=min(len(own), rng.randint(2, 4)))
                if supervision == CaseMeeting.Supervision.CENTER:
                    members.append(center.pk)
                elif supervision == CaseMeeting.Supervision.HEALTH_OFFICE:
                    office = agencies.get(_health_office_name(m.jurisdiction))
                    members += [office.pk] if office else []
                meeting = CaseMeeting(
                    municipality=m,
                    held_on=day,
                    kind=kind,
                    supervision=supervision,
                    decisions=rng.choice(DECISIONS),
                    minutes=rng.choice(MINUTES),
                )
                if day <= today:
                    planned.setdefault((m.pk, day, kind), (meeting, members))
    return list(planned.values())


def _seed_meetings(
    municipalities: list[Municipality],
    agencies: dict[str, Agency],
    owners: dict[int, Any],
    today: dt.date,
) -> list[CaseMeeting]:
    jusoteki = set(
        MunicipalStatus.objects.filter(municipality__in=municipalities, jusoteki=True).values_list(
            "municipality_id", "fiscal_year"
        )
    )
    planned = _plan_meetings(municipalities, agencies, jusoteki, today)
    existing = set(
        CaseMeeting.objects.filter(municipality__in=municipalities).values_list(
            "municipality_id", "held_on", "kind"
        )
    )
    new = [(m, a) for m, a in planned if (m.municipality_id, m.held_on, m.kind) not in existing]
    for meeting, _agencies in new:
        meeting.created_by = owners.get(meeting.municipality_id)
    created = CaseMeeting.objects.bulk_create([m for m, _a in new])
    Through = CaseMeeting.agencies.through
    Through.objects.bulk_create(
        [
            Through(casemeeting_id=m.pk, agency_id=a)
            for m, ids in zip(created, (a for _m, a in new), strict=True)
            for a in ids
        ]
    )
    return created


def _attach_cases(municipalities: list[Municipality]) -> int:
    """Give demo meetings without cases 1–3 cases of their municipality open on the day."""
    cases: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for pk, municipality_id, intake, closed in (
        Case.objects.filter(municipality__in=municipalities)
        .order_by("pk")
        .values_list("pk", "municipality_id", "intake_date", "closed_on")
    ):
        cases[municipality_id].append((pk, intake, closed))
    if not cases:
        return 0
    Through = CaseMeeting.cases.through
    with_cases = set(Through.objects.values_list("casemeeting_id", flat=True).distinct())
    rows = []
    for meeting_id, municipality_id, held_on in (
        CaseMeeting.objects.filter(municipality_id__in=cases.keys())
        .order_by("pk")
        .values_list("pk", "municipality_id", "held_on")
    ):
        if meeting_id in with_cases:
            continue
        candidates = [
            pk
            for pk, intake, closed in cases[municipality_id]
            if intake <= held_on and (closed is None or closed >= held_on)
        ]
        if not candidates:
            continue
        rng = random.Random(f"platforms-cases-{municipality_id}-{held_on}")
        chosen = rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3)))
        rows += [Through(casemeeting_id=meeting_id, case_id=pk) for pk in sorted(chosen)]
    Through.objects.bulk_create(rows)
    return len(rows)


def _owners(municipalities: list[Municipality]) -> dict[int, Any]:
    """Municipality pk → the demo counselor who owns its follow-ups (if any)."""
    owners: dict[int, Any] = {}
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_OWNERS)}
    for username, where in DEMO_OWNERS.items():
        user = users.get(username)
        if user is None:
            continue
        for m in municipalities:
            if (isinstance(where, list) and m.code in where) or m.jurisdiction.name_ja == where:
                owners[m.pk] = user
    return owners


def _seed_actions(created: list[CaseMeeting], owners: dict[int, Any], today: dt.date) -> None:
    actions = []
    for meeting in created:
        rng = random.Random(f"platforms-actions-{meeting.municipality_id}-{meeting.held_on}")
        for description in rng.sample(ACTIONS, k=rng.randint(1, 2)):
            due_on = meeting.held_on + dt.timedelta(days=rng.randint(14, 60))
            done_on = None
            if due_on < today - dt.timedelta(days=30):
                done_on = max(meeting.held_on, due_on - dt.timedelta(days=rng.randint(0, 10)))
            actions.append(
                FollowUpAction(
                    meeting=meeting,
                    description=description,
                    owner=owners.get(meeting.municipality_id),
                    due_on=due_on,
                    done_on=done_on,
                )
            )
    FollowUpAction.objects.bulk_create(actions)
    # Each demo counselor's home page shows something overdue and something coming up.
    for owner in {u.pk: u for u in owners.values()}.values():
        mine = FollowUpAction.objects.filter(owner=owner, done_on__isnull=True)
        recent = (
            CaseMeeting.objects.filter(
                municipality__in=[pk for pk, u in owners.items() if u == owner],
                held_on__lte=today - dt.timedelta(days=14),
            )
            .order_by("-held_on", "-pk")
            .first()
        )
        if recent is None:
            continue
        if not mine.filter(due_on__lt=today).exists():
            FollowUpAction.objects.create(
                meeting=recent,
                description="家族との面談記録を共有する",
                owner=owner,
                due_on=today - dt.timedelta(days=3),
            )
        if not mine.filter(due_on__gte=today).exists():
            FollowUpAction.objects.create(
                meeting=recent,
                description="次回ケース会議の資料を準備する",
                owner=owner,
                due_on=today + dt.timedelta(days=5),
            )


def seed(*, stdout: Any, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    municipalities = list(
        Municipality.objects.filter(prefecture_code=PREFECTURE)
        .select_related("jurisdiction")
        .order_by("code")
    )
    if len(municipalities) < PLATFORMS_BY_R3_OCTOBER:
        stdout.write("platforms: skipped (load the municipalities first)")
        return
    agencies = _seed_agencies(municipalities)
    _seed_platforms(random.Random("platforms-platforms"), municipalities, agencies, today)
    _seed_statuses(
        random.Random("platforms-statuses"), municipalities, today, current_fiscal_year(today)
    )
    owners = _owners(municipalities)
    created = _seed_meetings(municipalities, agencies, owners, today)
    attached = _attach_cases(municipalities)
    _seed_actions(created, owners, today)
    stdout.write(
        f"platforms: {len(agencies)} agencies, {CaseMeeting.objects.count()} case meetings "
        f"({len(created)} new, {attached} case links added)"
    )
