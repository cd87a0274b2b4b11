"""Writes for the casework cycle. Each function checks the scope, validates, writes and records
its audit row in one transaction; a `ValidationError` keyed by form field saves nothing.

The `*_errors` functions are pure, so forms show next to the field what the services enforce.
"""

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import can_see_municipality
from accounts.types import User
from audit.services import Action, audit_record, changed_field_names
from cases.models import Case, HouseholdMember
from cases.voiding import void_row
from casework.models import (
    Assessment,
    AssessmentDomain,
    AssessmentSituation,
    Consent,
    ContactDetail,
    GoalEvaluation,
    MeetingCaseBasis,
    PlanGoal,
    ProgressStep,
    Review,
    Risk,
    SupportPlan,
    SupportStage,
)
from core.concurrency import StaleEdit, update_with_version
from core.resubmission import create_once, first_submission, refuse_duplicate
from platforms.models import Agency, CaseMeeting
from referrals.models import Referral, Resource

DECIDING_KINDS = (CaseMeeting.Kind.SUPPORT, CaseMeeting.Kind.JUSOTEKI)
# Meetings that share information only with consent: saving a basis without one warns first.
CONSENT_KINDS = (CaseMeeting.Kind.JUSOTEKI, CaseMeeting.Kind.INDIVIDUAL)


def _label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _require_scope(user: User, case: Case) -> None:
    if not can_see_municipality(user, case.municipality_id):
        raise PermissionDenied


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _not_future(day: dt.date | None, today: dt.date) -> list[str]:
    return [_("未来の日付は入力できません。")] if day and day > today else []


def _not_before_intake(day: dt.date | None, case: Case) -> list[str]:
    if day and day < case.intake_date:
        return [
            _("受理日（%(date)s）より前の日付は入力できません。")
            % {"date": _label(case.intake_date)}
        ]
    return []


# --- Assessment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentInput:
    assessed_on: dt.date
    kind: str
    urgency: str
    strengths: str = ""
    risks: Sequence[str] = ()
    risk_notes: str = ""
    summary: str = ""
    situations: dict[int, str] = field(default_factory=dict)  # domain id → text


def assessment_errors(data: AssessmentInput, *, case: Case) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if msgs := _not_future(data.assessed_on, today) or _not_before_intake(data.assessed_on, case):
        errors["assessed_on"] = msgs
    if data.urgency not in Assessment.Urgency.values:
        errors["urgency"] = [_("緊急度を選んでください。")]
    if any(r not in Risk.values for r in data.risks):
        errors["risks"] = [_("リスクの項目を一覧から選んでください。")]
    if not any(text.strip() for text in data.situations.values()) and not data.summary.strip():
        errors["summary"] = [_("領域ごとの状況か見立てを、少なくとも一つ入力してください。")]
    return errors


@transaction.atomic
def assessment_record(
    *,
    user: User,
    case: Case,
    data: AssessmentInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Assessment:
    """Record an assessment. The same form twice gives the first one back; the same content
    again within the window is refused unless `allow_duplicate` (core/resubmission.py)."""
    _require_scope(user, case)
    if first := first_submission(case.assessments.all(), submission_token):
        return first
    _raise_if(assessment_errors(data, case=case))
    refuse_duplicate(
        case.assessments.filter(
            assessor=user, voided_at__isnull=True, assessed_on=data.assessed_on,
            kind=data.kind, summary=data.summary.strip(),
        ),
        allow=allow_duplicate,
    )  # fmt: skip
    assessment, created = create_once(
        case.assessments.all(),
        submission_token,
        case=case,
        assessed_on=data.assessed_on,
        kind=data.kind,
        assessor=user,
        urgency=data.urgency,
        strengths=data.strengths.strip(),
        risks=list(data.risks),
        risk_notes=data.risk_notes.strip(),
        summary=data.summary.strip(),
    )
    if not created:
        return assessment
    domains = AssessmentDomain.objects.in_bulk(list(data.situations))
    AssessmentSituation.objects.bulk_create(
        AssessmentSituation(assessment=assessment, domain=domains[pk], text=text.strip())
        for pk, text in data.situations.items()
        if pk in domains and text.strip()
    )
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=assessment,
        municipality_id=case.municipality_id,
        changed_fields=[
            name
            for name in ("assessed_on", "kind", "urgency", "strengths", "risks", "summary")
            if getattr(data, name)
        ]
        + (["situations"] if data.situations else []),
    )
    return assessment


@transaction.atomic
def assessment_void(
    *, user: User, assessment: Assessment, reason: str, request: HttpRequest | None = None
) -> Assessment:
    """取消: the assessment stays on record, marked void with who, when and why, by the same
    rules as every other record (`cases.voiding.void_row`): the assessor within
    `VOID_WINDOW_HOURS`, the centre or an admin after that; audited as a void."""
    _require_scope(user, assessment.case)
    void_row(
        assessment,
        user=user,
        reason=reason,
        recorded_by_id=assessment.assessor_id,
        recorded_at=assessment.created_at,
        municipality_id=assessment.case.municipality_id,
        request=request,
    )
    return assessment


# --- Support plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    drafted_on: dt.date
    next_review_on: dt.date
    policy: str = ""
    wishes: str = ""


def plan_errors(data: PlanInput, *, case: Case) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if msgs := _not_future(data.drafted_on, today) or _not_before_intake(data.drafted_on, case):
        errors["drafted_on"] = msgs
    if data.next_review_on and data.drafted_on and data.next_review_on < data.drafted_on:
        errors["next_review_on"] = [_("見直し予定日は、プランの作成日以降の日付にしてください。")]
    return errors


def _audit_plan(
    action: str, plan: SupportPlan, *, user: User, request: HttpRequest | None, fields: list[str]
) -> None:
    audit_record(
        action=action,
        request=request,
        user=user,
        obj=plan,
        municipality_id=plan.case.municipality_id,
        changed_fields=fields,
    )


@transaction.atomic
def plan_create(
    *,
    user: User,
    case: Case,
    data: PlanInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> SupportPlan:
    """A first plan (version 1). A case has one current plan; a later one comes by revision.
    The same form twice gives the first plan back (core/resubmission.py); a second plan with
    the same content is refused anyway while the first is current."""
    _require_scope(user, case)
    if first := first_submission(case.plans.all(), submission_token):
        return first
    Case.objects.select_for_update().filter(pk=case.pk).get()
    if not case.is_open:
        raise ValidationError(_("終結・中断しているケースにはプランを作成できません。"))
    if case.plans.filter(status__in=SupportPlan.CURRENT_STATUSES).exists():
        raise ValidationError(
            _(
                "このケースには現在のプランがあります。変更するときは「見直し」で新しい版を作ってください。"
            )
        )
    _raise_if(plan_errors(data, case=case))
    number = (case.plans.aggregate(m=Max("number"))["m"] or 0) + 1
    refuse_duplicate(case.plans.filter(created_by=user, **data.__dict__), allow=allow_duplicate)
    plan, created = create_once(
        case.plans.all(),
        submission_token,
        case=case,
        number=number,
        created_by=user,
        **data.__dict__,
    )
    if not created:
        return plan
    _audit_plan(Action.CREATE, plan, user=user, request=request, fields=list(data.__dict__))
    return plan


def _require_draft(plan: SupportPlan) -> None:
    if plan.status != SupportPlan.Status.DRAFT:
        raise ValidationError(
            _(
                "決定したプランは変更できません。変更するときは「見直し」で新しい版を作ってください。"
            )
        )


@transaction.atomic
def plan_update(
    *,
    user: User,
    plan: SupportPlan,
    version: int,
    data: PlanInput,
    request: HttpRequest | None = None,
) -> SupportPlan:
    _require_scope(user, plan.case)
    _require_draft(plan)
    _raise_if(plan_errors(data, case=plan.case))
    before = {name: getattr(plan, name) for name in data.__dict__}
    if not update_with_version(
        SupportPlan.objects.filter(pk=plan.pk, status=SupportPlan.Status.DRAFT),
        version=version,
        updated_at=timezone.now(),
        **data.__dict__,
    ):
        raise StaleEdit()
    plan.refresh_from_db()
    _audit_plan(
        Action.UPDATE,
        plan,
        user=user,
        request=request,
        fields=changed_field_names(before, data.__dict__),
    )
    return plan


@dataclass(frozen=True)
class GoalInput:
    term: str
    goal: str
    starts_on: dt.date
    ends_on: dt.date
    supports: str = ""
    agency: Agency | None = None
    resource: Resource | None = None
    who: str = ""
    referrals: Sequence[Referral] = ()


def goal_errors(data: GoalInput, *, plan: SupportPlan) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.term not in PlanGoal.Term.values:
        errors["term"] = [_("短期目標か長期目標かを選んでください。")]
    if not data.goal.strip():
        errors["goal"] = [_("目標を入力してください。")]
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors["ends_on"] = [_("終了予定は、開始以降の日付にしてください。")]
    if data.starts_on and data.starts_on < plan.case.intake_date:
        errors["starts_on"] = _not_before_intake(data.starts_on, plan.case)
    if any(r.case_id != plan.case_id for r in data.referrals):
        errors["referrals"] = [_("このケースのつなぎだけを選んでください。")]
    muni = plan.case.municipality
    if data.agency is not None and not (
        data.agency.prefecture_code == muni.prefecture_code
        and data.agency.municipality_id in (None, muni.pk)
    ):
        errors["agency"] = [_("この市町村か県全域の関係機関だけを選んでください。")]
    if data.resource is not None and data.resource.prefecture_code != muni.prefecture_code:
        errors["resource"] = [_("この県の社会資源だけを選んでください。")]
    return errors


GOAL_FIELDS = ("term", "goal", "starts_on", "ends_on", "supports", "agency", "resource", "who")


@transaction.atomic
def goal_save(
    *,
    user: User,
    plan: SupportPlan,
    data: GoalInput,
    goal: PlanGoal | None = None,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> PlanGoal:
    """Add a goal to a draft plan, or change one. Referrals can be linked on a decided plan
    too (the plan shows whether each step happened), through `goal_link_referrals`.

    Adding: the same form twice gives the first goal back; the same goal (term and text)
    on the plan again is refused unless `allow_duplicate` (core/resubmission.py)."""
    _require_scope(user, plan.case)
    if goal is None and (first := first_submission(plan.goals.all(), submission_token)):
        return first
    _require_draft(plan)
    _raise_if(goal_errors(data, plan=plan))
    values = {name: getattr(data, name) for name in GOAL_FIELDS}
    values["goal"] = values["goal"].strip()
    if goal is None:
        refuse_duplicate(
            plan.goals.filter(term=values["term"], goal=values["goal"]),
            allow=allow_duplicate,
            recent=False,
        )
        goal, created = create_once(plan.goals.all(), submission_token, plan=plan, **values)
        if not created:
            return goal
        changed = [k for k, v in values.items() if v not in ("", None)]
        action = Action.CREATE
    else:
        if goal.plan_id != plan.pk:
            raise PermissionDenied
        before = {name: getattr(goal, name) for name in GOAL_FIELDS}
        changed = changed_field_names(before, values)
        for name, value in values.items():
            setattr(goal, name, value)
        goal.save()
        action = Action.UPDATE
    new_refs = sorted(r.pk for r in data.referrals)
    if sorted(goal.referrals.values_list("pk", flat=True)) != new_refs:
        goal.referrals.set(new_refs)
        changed.append("referrals")
    audit_record(
        action=action,
        request=request,
        user=user,
        obj=goal,
        municipality_id=plan.case.municipality_id,
        changed_fields=changed,
    )
    return goal


@transaction.atomic
def goal_link_referrals(
    *,
    user: User,
    goal: PlanGoal,
    referrals: Iterable[Referral],
    request: HttpRequest | None = None,
) -> PlanGoal:
    """Link a goal to the case's referrals (also on a decided plan: a link is not a change
    of what was decided, it records how the step is being carried out)."""
    plan = goal.plan
    _require_scope(user, plan.case)
    refs = list(referrals)
    if any(r.case_id != plan.case_id for r in refs):
        raise ValidationError({"referrals": [_("このケースのつなぎだけを選んでください。")]})
    goal.referrals.set(refs)
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=goal,
        municipality_id=plan.case.municipality_id,
        changed_fields=["referrals"],
    )
    return goal


def decision_errors(plan: SupportPlan, meeting: CaseMeeting | None) -> dict[str, list[str]]:
    if meeting is None:
        return {"meeting": [_("決定した会議を選んでください。")]}
    if meeting.municipality_id != plan.case.municipality_id:
        return {"meeting": [_("このケースの市町村（%(m)s）の会議を選んでください。") % {
            "m": plan.case.municipality.name}]}  # fmt: skip
    if meeting.kind not in DECIDING_KINDS:
        return {"meeting": [_("プランを決定できるのは、支援会議か重層的支援会議です。")]}
    if meeting.held_on < plan.drafted_on:
        return {"meeting": [_("プランの作成日（%(date)s）より前の会議では決定できません。") % {
            "date": _label(plan.drafted_on)}]}  # fmt: skip
    if not meeting.cases.filter(pk=plan.case_id).exists():
        return {
            "meeting": [
                _(
                    "この会議ではこのケースを検討していません。会議の記録にケースを加えてから決定してください。"
                )
            ]
        }
    return {}


@transaction.atomic
def plan_decide(
    *,
    user: User,
    plan: SupportPlan,
    version: int,
    meeting: CaseMeeting | None,
    request: HttpRequest | None = None,
) -> SupportPlan:
    """決定: the meeting that decided the plan is named on it (and lists it on its page)."""
    _require_scope(user, plan.case)
    if plan.status != SupportPlan.Status.DRAFT:
        raise ValidationError(_("作成中のプランだけを決定できます。"))
    if not plan.goals.exists():
        raise ValidationError(
            _("目標が一つもないプランは決定できません。先に目標を加えてください。")
        )
    _raise_if(decision_errors(plan, meeting))
    assert meeting is not None
    if not update_with_version(
        SupportPlan.objects.filter(pk=plan.pk, status=SupportPlan.Status.DRAFT),
        version=version,
        status=SupportPlan.Status.DECIDED,
        decided_meeting=meeting,
        decided_on=meeting.held_on,
        updated_at=timezone.now(),
    ):
        raise StaleEdit()
    plan.refresh_from_db()
    _audit_plan(
        Action.UPDATE,
        plan,
        user=user,
        request=request,
        fields=["status", "decided_meeting", "decided_on"],
    )
    return plan


@transaction.atomic
def plan_revise(
    *,
    user: User,
    plan: SupportPlan,
    version: int,
    on: dt.date,
    next_review_on: dt.date,
    request: HttpRequest | None = None,
) -> SupportPlan:
    """見直し: the decided plan is kept as it was (見直し済み) and a new draft version starts
    from a copy of its goals (and their links to referrals)."""
    _require_scope(user, plan.case)
    if plan.status != SupportPlan.Status.DECIDED:
        raise ValidationError(_("決定したプランだけを見直せます。"))
    errors = plan_errors(PlanInput(drafted_on=on, next_review_on=next_review_on), case=plan.case)
    if on < plan.drafted_on:
        errors.setdefault("on", []).append(
            _("前の版の作成日（%(date)s）より前の日付にはできません。")
            % {"date": _label(plan.drafted_on)}
        )
    if "drafted_on" in errors:
        errors["on"] = errors.pop("drafted_on")
    _raise_if(errors)
    if not update_with_version(
        SupportPlan.objects.filter(pk=plan.pk, status=SupportPlan.Status.DECIDED),
        version=version,
        status=SupportPlan.Status.REVISED,
        updated_at=timezone.now(),
    ):
        raise StaleEdit()
    new = SupportPlan.objects.create(
        case=plan.case,
        number=plan.number + 1,
        previous=plan,
        drafted_on=on,
        next_review_on=next_review_on,
        policy=plan.policy,
        wishes=plan.wishes,
        created_by=user,
    )
    for goal in plan.goals.prefetch_related("referrals"):
        refs = list(goal.referrals.all())
        copy = PlanGoal.objects.create(
            plan=new, **{name: getattr(goal, name) for name in GOAL_FIELDS}
        )
        copy.referrals.set(refs)
    plan.refresh_from_db()
    _audit_plan(Action.UPDATE, plan, user=user, request=request, fields=["status"])
    _audit_plan(
        Action.CREATE,
        new,
        user=user,
        request=request,
        fields=["number", "previous", "drafted_on", "next_review_on", "goals"],
    )
    return new


@transaction.atomic
def plan_end(
    *,
    user: User,
    plan: SupportPlan,
    version: int,
    on: dt.date,
    request: HttpRequest | None = None,
) -> SupportPlan:
    """終了: the plan's support is over (usually with the case's closing evaluation)."""
    _require_scope(user, plan.case)
    if not plan.is_current:
        raise ValidationError(_("このプランはすでに見直し済みか終了しています。"))
    errors: dict[str, list[str]] = {}
    if msgs := _not_future(on, timezone.localdate()):
        errors["on"] = msgs
    elif on < plan.drafted_on:
        errors["on"] = [_("プランの作成日より前の日付にはできません。")]
    _raise_if(errors)
    if not update_with_version(
        SupportPlan.objects.filter(pk=plan.pk),
        version=version,
        status=SupportPlan.Status.ENDED,
        ended_on=on,
        updated_at=timezone.now(),
    ):
        raise StaleEdit()
    plan.refresh_from_db()
    _audit_plan(Action.UPDATE, plan, user=user, request=request, fields=["status", "ended_on"])
    return plan


# --- Review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    reviewed_on: dt.date
    next_review_on: dt.date | None
    stage: SupportStage | None = None
    steps: Sequence[ProgressStep] = ()
    notes: str = ""
    evaluations: dict[int, tuple[str, str]] = field(default_factory=dict)  # goal → result, note


def review_errors(
    data: ReviewInput, *, plan: SupportPlan, closing: bool = False
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if msgs := _not_future(data.reviewed_on, today):
        errors["reviewed_on"] = msgs
    elif data.reviewed_on < plan.drafted_on:
        errors["reviewed_on"] = [
            _("評価の日付は、プランの作成日（%(date)s）以降にしてください。")
            % {"date": _label(plan.drafted_on)}
        ]
    if not closing and data.next_review_on is None:
        errors["next_review_on"] = [_("次回の見直し予定日を入力してください。")]
    elif data.next_review_on and data.reviewed_on and data.next_review_on <= data.reviewed_on:
        errors["next_review_on"] = [_("次回の見直し予定日は、評価の日付より後にしてください。")]
    goal_ids = set(plan.goals.values_list("pk", flat=True))
    missing = goal_ids - {pk for pk, (result, _note) in data.evaluations.items() if result}
    if missing:
        errors["evaluations"] = [_("すべての目標について評価を選んでください。")]
    if any(result not in GoalEvaluation.Result.values for result, _n in data.evaluations.values()):
        errors["evaluations"] = [_("評価を一覧から選んでください。")]
    return errors


def _previous_stage(case: Case, before: dt.date) -> SupportStage | None:
    """The person's stage at their latest review before this one (any of their cases)."""
    previous = (
        Review.objects.filter(case__person_id=case.person_id, reviewed_on__lte=before)
        .exclude(stage=None)
        .select_related("stage")
        .order_by("-reviewed_on", "-id")
        .first()
    )
    return previous.stage if previous else None


@transaction.atomic
def review_record(
    *,
    user: User,
    plan: SupportPlan,
    data: ReviewInput,
    closing: bool = False,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Review:
    """モニタリング・評価 of a current plan; a closing review (終結時) also ends the plan.

    The next review date is set on the plan; whether this one was on time is judged against the
    date that was due when it was done, and kept. The same form twice gives the first review
    back; the same content again within the window is refused unless `allow_duplicate`.
    """
    case = plan.case
    _require_scope(user, case)
    if first := first_submission(plan.reviews.all(), submission_token):
        return first
    if not plan.is_current:
        raise ValidationError(
            _("見直し済み・終了したプランは評価できません。現在の版を評価してください。")
        )
    if not closing and not case.is_open:
        raise ValidationError(_("終結・中断しているケースです。終結時の評価を記録してください。"))
    _raise_if(review_errors(data, plan=plan, closing=closing))
    refuse_duplicate(
        plan.reviews.filter(
            recorded_by=user, reviewed_on=data.reviewed_on, stage=data.stage,
            notes=data.notes.strip(), closing=closing,
        ),
        allow=allow_duplicate,
    )  # fmt: skip
    SupportPlan.objects.select_for_update().filter(pk=plan.pk).get()
    previous = _previous_stage(case, data.reviewed_on)
    moved = bool(
        data.stage
        and previous
        and (data.stage.sort_order, data.stage.pk) > (previous.sort_order, previous.pk)
    )
    review, created = create_once(
        plan.reviews.all(),
        submission_token,
        plan=plan,
        case=case,
        reviewed_on=data.reviewed_on,
        due_on=plan.next_review_on,
        on_time=data.reviewed_on <= plan.next_review_on,
        stage=data.stage,
        moved_forward=moved,
        notes=data.notes.strip(),
        closing=closing,
        recorded_by=user,
    )
    if not created:
        return review
    review.steps.set(data.steps)
    goals = plan.goals.in_bulk(list(data.evaluations))
    GoalEvaluation.objects.bulk_create(
        GoalEvaluation(review=review, goal=goals[pk], result=result, note=note.strip()[:500])
        for pk, (result, note) in data.evaluations.items()
        if pk in goals
    )
    plan_fields: dict[str, Any] = {"updated_at": timezone.now()}
    if closing:
        plan_fields.update(status=SupportPlan.Status.ENDED, ended_on=data.reviewed_on)
    elif data.next_review_on:
        plan_fields["next_review_on"] = data.next_review_on
    # A review is one person's act on the plan: it moves the plan on even if someone is
    # editing the plan's text (that edit then finds a new version and is refused).
    SupportPlan.objects.filter(pk=plan.pk).update(**plan_fields, version=plan.version + 1)
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=review,
        municipality_id=case.municipality_id,
        changed_fields=["reviewed_on", "stage", "steps", "notes", "evaluations"],
    )
    plan_changed = ["status", "ended_on"] if closing else ["next_review_on"]
    _audit_plan(Action.UPDATE, plan, user=user, request=request, fields=plan_changed)
    plan.refresh_from_db()
    return review


# --- Consent --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    given_by: str
    method: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    given_by_name: str = ""
    agency_kinds: Sequence[str] = ()
    shared_with: str = ""


def consent_errors(data: ConsentInput, *, case: Case) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.given_by not in Consent.GivenBy.values:
        errors["given_by"] = [_("同意した人を選んでください。")]
    if data.method not in Consent.Method.values:
        errors["method"] = [_("同意の方法を選んでください。")]
    if msgs := _not_future(data.valid_from, timezone.localdate()):
        errors["valid_from"] = msgs
    if data.valid_until and data.valid_from and data.valid_until < data.valid_from:
        errors["valid_until"] = [_("有効期限は、同意日以降の日付にしてください。")]
    if any(k not in Agency.Kind.values for k in data.agency_kinds):
        errors["agency_kinds"] = [_("共有先の種別を一覧から選んでください。")]
    if not data.agency_kinds and not data.shared_with.strip():
        errors["shared_with"] = [
            _("誰と共有するか（機関の種別か具体的な共有先）を入力してください。")
        ]
    return errors


@transaction.atomic
def consent_record(
    *,
    user: User,
    case: Case,
    data: ConsentInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Consent:
    """Record a consent. The same form twice gives the first one back; the same content again
    within the window is refused unless `allow_duplicate` (core/resubmission.py)."""
    _require_scope(user, case)
    if first := first_submission(case.consents.all(), submission_token):
        return first
    _raise_if(consent_errors(data, case=case))
    refuse_duplicate(
        case.consents.filter(
            recorded_by=user, given_by=data.given_by, method=data.method,
            valid_from=data.valid_from, valid_until=data.valid_until,
            shared_with=data.shared_with.strip(),
        ),
        allow=allow_duplicate,
    )  # fmt: skip
    consent, created = create_once(
        case.consents.all(),
        submission_token,
        case=case,
        recorded_by=user,
        given_by=data.given_by,
        given_by_name=data.given_by_name.strip(),
        method=data.method,
        agency_kinds=list(data.agency_kinds),
        shared_with=data.shared_with.strip(),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    if not created:
        return consent
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=consent,
        municipality_id=case.municipality_id,
        changed_fields=[k for k, v in data.__dict__.items() if v not in ("", None, ())],
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *,
    user: User,
    consent: Consent,
    on: dt.date,
    note: str = "",
    request: HttpRequest | None = None,
) -> Consent:
    _require_scope(user, consent.case)
    errors: dict[str, list[str]] = {}
    if msgs := _not_future(on, timezone.localdate()):
        errors["on"] = msgs
    elif on < consent.valid_from:
        errors["on"] = [_("撤回日は、同意日以降の日付にしてください。")]
    _raise_if(errors)
    updated = Consent.objects.filter(pk=consent.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=on, withdrawal_note=note.strip()[:500]
    )
    if not updated:
        raise ValidationError(_("この同意はすでに撤回されています。"))
    consent.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=consent,
        municipality_id=consent.case.municipality_id,
        changed_fields=["withdrawn_on", "withdrawal_note"],
    )
    return consent


def consent_on_file(case: Case, day: dt.date) -> Consent | None:
    """The consent in force on a day, latest first."""
    # Sorted here, not in SQL, so that a prefetched `consents` serves a list of cases.
    consents: list[Consent] = list(case.consents.all())
    for consent in sorted(consents, key=lambda c: (c.valid_from, c.pk), reverse=True):
        if consent.in_force_on(day):
            return consent
    return None


# --- The basis per case on a meeting --------------------------------------------------------


@dataclass(frozen=True)
class BasisInput:
    case: Case
    basis: str
    statute: str = ""


def basis_errors(meeting: CaseMeeting, row: BasisInput) -> list[str]:
    if row.basis not in MeetingCaseBasis.Basis.values:
        return [_("根拠を選んでください。")]
    if row.basis == MeetingCaseBasis.Basis.SUPPORT_MEETING and (
        meeting.kind != CaseMeeting.Kind.SUPPORT
    ):
        return [_("同意なしで共有できるのは、支援会議（社会福祉法第106条の6）だけです。")]
    if row.basis == MeetingCaseBasis.Basis.STATUTE and not row.statute.strip():
        return [_("法令名と条項を入力してください（例：児童福祉法第25条の2）。")]
    return []


def basis_warnings(meeting: CaseMeeting, rows: Iterable[BasisInput]) -> list[Case]:
    """Cases whose basis is consent but with no consent in force on the meeting's day: saving
    them needs a confirmation (the meeting may have heard consent given orally that day)."""
    return [
        row.case
        for row in rows
        if row.basis == MeetingCaseBasis.Basis.CONSENT
        and consent_on_file(row.case, meeting.held_on) is None
    ]


def missing_consent_warnings(meeting: CaseMeeting, cases: Iterable[Case]) -> list[Case]:
    """Cases on a 重層的支援会議 or 個別ケース会議 with no consent in force on the meeting's day."""
    if meeting.kind not in CONSENT_KINDS:
        return []
    return [c for c in cases if consent_on_file(c, meeting.held_on) is None]


def missing_consent_message(meeting: CaseMeeting, missing: Sequence[Case]) -> str:
    return _(
        "次のケースには、会議の日（%(date)s）に有効な同意が記録されていません：%(cases)s。"
        "%(kind)sで同意にもとづいて共有する場合は、先に同意を記録してください。"
        "口頭で同意を得たなど、承知のうえで保存する場合はチェックを入れてください。"
    ) % {
        "date": _label(meeting.held_on),
        "cases": "、".join(c.number for c in missing),
        "kind": meeting.get_kind_display(),
    }


@transaction.atomic
def meeting_bases_save(
    *,
    user: User,
    meeting: CaseMeeting,
    rows: Sequence[BasisInput],
    confirmed_missing_consent: bool = False,
    request: HttpRequest | None = None,
) -> list[MeetingCaseBasis]:
    """Record the basis per case; cases without consent on file are refused unless the user
    confirmed the warning (`basis_warnings`)."""
    if not can_see_municipality(user, meeting.municipality_id):
        raise PermissionDenied
    on_meeting = set(meeting.cases.values_list("pk", flat=True))
    errors: dict[str, list[str]] = {}
    for row in rows:
        if row.case.pk not in on_meeting:
            errors[f"basis_{row.case.pk}"] = [_("この会議で検討していないケースです。")]
        elif msgs := basis_errors(meeting, row):
            errors[f"basis_{row.case.pk}"] = msgs
    if not errors and not confirmed_missing_consent and (missing := basis_warnings(meeting, rows)):
        errors["confirm_missing_consent"] = [missing_consent_message(meeting, missing)]
    _raise_if(errors)
    saved = []
    for row in rows:
        consent = (
            consent_on_file(row.case, meeting.held_on)
            if row.basis == MeetingCaseBasis.Basis.CONSENT
            else None
        )
        basis, _created = MeetingCaseBasis.objects.update_or_create(
            meeting=meeting,
            case=row.case,
            defaults={
                "basis": row.basis,
                "statute": row.statute.strip()
                if row.basis == MeetingCaseBasis.Basis.STATUTE
                else "",
                "consent": consent,
                "recorded_by": user,
            },
        )
        saved.append(basis)
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=meeting,
        changed_fields=["bases"],
    )
    return saved


# --- Contact details ------------------------------------------------------------------------

CONTACT_FIELDS = ("phone", "address", "how_to_reach", "caution")


@transaction.atomic
def contact_save(
    *,
    user: User,
    case: Case,
    version: int | None,
    values: dict[str, str],
    member: HouseholdMember | None = None,
    request: HttpRequest | None = None,
) -> ContactDetail:
    """Write the person's (or a household member's) contact details; optimistic locking."""
    _require_scope(user, case)
    if member is not None and member.household.person_id != case.person_id:
        raise PermissionDenied
    clean = {name: (values.get(name) or "").strip() for name in CONTACT_FIELDS}
    existing = ContactDetail.objects.filter(person=case.person, member=member).first()
    if existing is None:
        contact = ContactDetail.objects.create(person=case.person, member=member, **clean)
        changed = [k for k, v in clean.items() if v]
        action = Action.CREATE
    else:
        before = {name: getattr(existing, name) for name in CONTACT_FIELDS}
        if version is None or not update_with_version(
            ContactDetail.objects.filter(pk=existing.pk), version=version, **clean
        ):
            raise StaleEdit()
        contact = existing
        contact.refresh_from_db()
        changed = changed_field_names(before, clean)
        action = Action.UPDATE
    audit_record(
        action=action,
        request=request,
        user=user,
        object_type="casework.contactdetail",
        object_id=contact.pk,
        municipality_id=case.municipality_id,
        changed_fields=changed,
    )
    return contact
