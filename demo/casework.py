"""Demo casework on the demo cases: assessments for most, consent for most (family consent
only for some family-only cases), support plans for a believable share of open cases decided
at the municipality's existing 支援会議/重層的支援会議 (some never decided, some overdue for
review), reviews with stage movements, the basis per case on those meetings, and contact
details with a caution for some 高知市 cases.

Runs after the platforms and referrals steps. It creates no meeting (a decision is recorded on
a meeting the platforms step made, with the case added to it), so K1–K4 are untouched.
Deterministic (fixed seed) and idempotent: skipped when any plan exists.
"""

import bisect
import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.utils import timezone

from audit.services import Action, audit_record
from cases.models import Case
from casework.models import (
    Assessment,
    AssessmentDomain,
    AssessmentSituation,
    Consent,
    ContactDetail,
    GoalEvaluation,
    MeetingCaseBasis,
    PlanGoal,
    Review,
    SupportPlan,
    SupportStage,
)
from demo.cases import demo_cases
from platforms.models import CaseMeeting
from referrals.models import Referral

SEED = 20260401
D = dt.timedelta

SITUATIONS = {
    "life": [
        "昼夜逆転。自室で過ごすことが多い。",
        "食事は家族と別。夜にコンビニへ行くことはある。",
    ],
    "family": [
        "母とは必要なことは話す。父とは会話がない。",
        "両親が高齢で、通院の付き添いが負担。",
    ],
    "economy": ["父の年金で生活。親亡き後の見通しがない。", "世帯の収入は安定している。"],
    "participation": ["外出は月に数回、近所のみ。", "数年前まで短期のアルバイト経験あり。"],
    "wishes": ["「人の多いところは苦手。でも何かしたい」", "本人の希望はまだ聞けていない。"],
}
STRENGTHS = ["絵を描くのが好き", "母との関係は良好", "パソコンが得意", "近所に理解のある親族"]
SHORT_GOALS = [
    ("家族が家族会に参加し、対応を学ぶ", "家族会の紹介と同行"),
    ("相談員と月1回面談できる", "自宅訪問から始め、来所面談へ"),
    ("週1回、居場所に通う", "居場所の見学に同行し、最初の数回は一緒に参加"),
    ("生活リズムを整える", "起床時間を記録し、面談で振り返る"),
]
LONG_GOALS = [
    ("就労体験に参加する", "就労訓練事業所での体験を調整"),
    ("自分に合った社会参加の形を見つける", "ボランティア・就労体験など複数の機会を提案"),
    ("親亡き後の生活の見通しを持つ", "障害福祉・年金・生活困窮の窓口と連携"),
]
CAUTIONS = [
    "本人に知られないように、母の携帯にだけ連絡する",
    "平日日中のみ。夕方以降は父が在宅",
    "電話は苦手。まずショートメッセージで",
]


def seed(*, stdout: Any, today: dt.date | None = None) -> None:
    if SupportPlan.objects.exists():
        stdout.write("demo casework: already seeded, skipped")
        return
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    cases = list(demo_cases().select_related("municipality", "assigned_counselor"))
    domains = {d.code: d for d in AssessmentDomain.objects.all()}
    stages = list(SupportStage.objects.order_by("sort_order", "id"))

    # Meetings that can decide a plan, per municipality, by date; with the cases on them.
    deciding: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for pk, muni, held in CaseMeeting.objects.filter(
        kind__in=[CaseMeeting.Kind.SUPPORT, CaseMeeting.Kind.JUSOTEKI], held_on__lte=today
    ).values_list("pk", "municipality_id", "held_on"):
        deciding[muni].append((held, pk))
    for rows in deciding.values():
        rows.sort()
    meeting_kinds = dict(CaseMeeting.objects.values_list("pk", "kind"))
    on_meeting: dict[int, set[int]] = defaultdict(set)
    Through = CaseMeeting.cases.through
    for meeting_id, case_id in Through.objects.values_list("casemeeting_id", "case_id"):
        on_meeting[meeting_id].add(case_id)

    assessments, situations, consents, contacts = [], [], [], []
    plans: list[tuple[Case, SupportPlan, list[PlanGoal]]] = []
    new_links = []
    for case in cases:
        user = case.assigned_counselor
        start = case.intake_date
        # Consent: most cases. Family-only cases (the family came) give family consent only.
        if rng.random() < 0.8:
            family_only = case.visitor == Case.Visitor.FAMILY
            consents.append(
                Consent(
                    case=case,
                    given_by=Consent.GivenBy.FAMILY if family_only else Consent.GivenBy.PERSON,
                    given_by_name="母" if family_only else "",
                    method=rng.choice([Consent.Method.WRITTEN, Consent.Method.ORAL]),
                    agency_kinds=["shakyo", "municipal_office", "support_center"],
                    shared_with="市町村プラットフォームの構成機関",
                    valid_from=start,
                    valid_until=start + D(days=730),
                    recorded_by=user,
                )
            )
        if case.status == Case.Status.INTAKE or rng.random() > 0.85:
            continue
        assessed_on = min(start + D(days=rng.randint(3, 30)), today)
        a = Assessment(
            case=case,
            assessed_on=assessed_on,
            kind=Assessment.Kind.INTAKE,
            assessor=user,
            urgency=rng.choice(["low", "medium", "medium", "high"]),
            strengths=rng.choice(STRENGTHS),
            risks=rng.sample(["8050", "isolation", "poverty", "medical_care"], k=rng.randint(0, 2)),
            summary="家族支援から始め、本人との接点をつくる。",
        )
        assessments.append(a)
        for code, texts in SITUATIONS.items():
            if code in domains and rng.random() < 0.8:
                situations.append((a, domains[code], rng.choice(texts)))

        # Plans: about six in ten open cases in support, and some that have since closed.
        if case.status != Case.Status.ACTIVE or rng.random() > 0.6:
            continue
        drafted = min(assessed_on + D(days=rng.randint(7, 28)), today)
        plan = SupportPlan(
            case=case,
            number=1,
            drafted_on=drafted,
            next_review_on=drafted + D(days=90),
            wishes="本人：人の多い場所は苦手。家族：少しずつ外に出てほしい。",
            policy="家族支援を続けながら、本人との面談と居場所の利用をめざす。",
            created_by=user,
        )
        meetings = deciding.get(case.municipality_id, [])
        i = bisect.bisect_left(meetings, (drafted, 0))
        # Most plans are decided at the next deciding meeting within half a year.
        if i < len(meetings) and meetings[i][0] <= drafted + D(days=365) and rng.random() < 0.85:
            held, meeting_id = meetings[i]
            plan.status = SupportPlan.Status.DECIDED
            plan.decided_meeting_id = meeting_id
            plan.decided_on = held
            if case.pk not in on_meeting[meeting_id]:
                on_meeting[meeting_id].add(case.pk)
                new_links.append(Through(casemeeting_id=meeting_id, case_id=case.pk))
        short, supports = rng.choice(SHORT_GOALS)
        long, long_supports = rng.choice(LONG_GOALS)
        goals = [
            PlanGoal(term=PlanGoal.Term.SHORT, goal=short, supports=supports, starts_on=drafted,
                     ends_on=drafted + D(days=180)),
            PlanGoal(term=PlanGoal.Term.LONG, goal=long, supports=long_supports,
                     starts_on=drafted, ends_on=drafted + D(days=365)),
        ]  # fmt: skip
        plans.append((case, plan, goals))
        if case.municipality.name_ja == "高知市" and rng.random() < 0.3:
            contacts.append(
                ContactDetail(
                    person_id=case.person_id,
                    phone=f"088-8{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                    how_to_reach="母の携帯",
                    caution=rng.choice(CAUTIONS),
                )
            )

    Assessment.objects.bulk_create(assessments, batch_size=2000)
    AssessmentSituation.objects.bulk_create(
        [AssessmentSituation(assessment=a, domain=d, text=t) for a, d, t in situations],
        batch_size=2000,
    )
    Consent.objects.bulk_create(consents, batch_size=2000)
    ContactDetail.objects.bulk_create(contacts)
    Through.objects.bulk_create(new_links)
    SupportPlan.objects.bulk_create([p for _c, p, _g in plans], batch_size=2000)
    all_goals = []
    for _case, plan, goals in plans:
        for g in goals:
            g.plan = plan
            all_goals.append(g)
    PlanGoal.objects.bulk_create(all_goals, batch_size=2000)
    # The case's referrals made around or after the plan carry out its short-term goal.
    referrals: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for pk, case_id, proposed in Referral.objects.filter(
        case__in=[c for c, _p, _g in plans]
    ).values_list("pk", "case_id", "proposed_on"):
        referrals[case_id].append((proposed, pk))
    GoalLink = PlanGoal.referrals.through
    GoalLink.objects.bulk_create(
        GoalLink(plangoal_id=goals[0].pk, referral_id=pk)
        for case, plan, goals in plans
        for proposed, pk in referrals.get(case.pk, [])
        if proposed >= plan.drafted_on - D(days=60)
    )

    # Reviews every ~3 months on decided plans; a share left overdue; stages move now and then.
    reviews, evaluations, review_plans = [], [], []
    for case, plan, goals in plans:
        if plan.status != SupportPlan.Status.DECIDED:
            continue
        level = 0 if case.visitor == Case.Visitor.FAMILY else 1
        due = plan.next_review_on
        overdue = rng.random() < 0.2
        first = True
        while due <= today - D(days=120 if overdue else 0):
            on = min(due + D(days=rng.randint(-10, 12)), today)
            previous = level
            if rng.random() < 0.35 and level < len(stages) - 1:
                level += 1
            r = Review(
                plan=plan, case=case, reviewed_on=on, due_on=due, on_time=on <= due,
                stage=stages[level] if stages else None,
                moved_forward=not first and level > previous,
                notes="外出の頻度が少しずつ増えている。", recorded_by=case.assigned_counselor,
            )  # fmt: skip
            reviews.append(r)
            review_plans.append(plan)
            first = False
            evaluations += [
                (r, g, rng.choice(["achieved", "partly", "partly", "not_yet"])) for g in goals
            ]
            due = on + D(days=90)
        plan.next_review_on = due
    Review.objects.bulk_create(reviews, batch_size=2000)
    GoalEvaluation.objects.bulk_create(
        [GoalEvaluation(review=r, goal=g, result=res) for r, g, res in evaluations],
        batch_size=2000,
    )
    SupportPlan.objects.bulk_update(
        [p for _c, p, _g in plans if p.status == SupportPlan.Status.DECIDED],
        ["next_review_on"],
        batch_size=2000,
    )

    # The basis per case on the meetings that decided plans.
    consent_cases = {
        c.case_id: c for c in Consent.objects.filter(case__in=[p.case for _c, p, _g in plans])
    }
    bases = []
    for case, plan, _goals in plans:
        if plan.decided_meeting_id is None:
            continue
        kind = meeting_kinds[plan.decided_meeting_id]
        consent = consent_cases.get(case.pk)
        if kind == CaseMeeting.Kind.SUPPORT and consent is None:
            basis = MeetingCaseBasis.Basis.SUPPORT_MEETING
        elif consent is not None:
            basis = MeetingCaseBasis.Basis.CONSENT
        else:
            continue
        bases.append(
            MeetingCaseBasis(
                meeting_id=plan.decided_meeting_id, case=case, basis=basis, consent=consent
            )
        )
    MeetingCaseBasis.objects.bulk_create(bases, ignore_conflicts=True)
    audit_record(action=Action.IMPORT, object_type="casework.supportplan", row_count=len(plans),
                 reason="seed_demo")  # fmt: skip
    decided = sum(1 for _c, p, _g in plans if p.decided_meeting_id)
    stdout.write(
        f"demo casework: {len(assessments)} assessments, {len(plans)} plans ({decided} decided), "
        f"{len(reviews)} reviews, {len(consents)} consents"
    )
