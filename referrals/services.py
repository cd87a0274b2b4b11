"""Writes for referrals (つなぎ) and employment outcomes (就労).

A referral moves through a closed loop; every step is a function here:

    proposed ─┬─> arranging ─┬─> connected ──> ended
              │              └─> not_realised
              ├─> connected (direct)
              └─> not_realised

Each step stores its date on the referral and a ReferralTransition row (date, who), checks the
version the user saw, and writes the audit row in the same transaction. A date earlier than the
previous step's date is refused here with a message next to the field, and by the database's
check constraints underneath.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import Action, audit_record
from cases.models import Case
from referrals.models import (
    EmploymentOutcome,
    Referral,
    ReferralNote,
    ReferralTransition,
    Resource,
)

Status = Referral.Status

# Which step may follow which. Anything else is refused.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.PROPOSED: (Status.ARRANGING, Status.CONNECTED, Status.NOT_REALISED),
    Status.ARRANGING: (Status.CONNECTED, Status.NOT_REALISED),
    Status.CONNECTED: (Status.ENDED,),
    Status.ENDED: (),
    Status.NOT_REALISED: (),
}

# The referral field that holds each step's date.
DATE_FIELD = {
    Status.PROPOSED: "proposed_on",
    Status.ARRANGING: "arranging_on",
    Status.CONNECTED: "connected_on",
    Status.ENDED: "ended_on",
    Status.NOT_REALISED: "not_realised_on",
}


def _stale_error() -> ValidationError:
    return ValidationError(
        _(
            "ほかの人が先にこのつなぎを更新しました。画面を再読み込みして、最新の内容を確認してください。"
        )
    )


def _check_not_future(on: dt.date, field: str = "on") -> None:
    if on > timezone.localdate():
        raise ValidationError({field: _("未来の日付は入力できません。")})


def allowed_next(referral: Referral) -> tuple[str, ...]:
    return ALLOWED_TRANSITIONS[referral.status]


def _audit_referral(
    *,
    action: str,
    referral: Referral,
    changed_fields: list[str],
    user: User,
    request: HttpRequest | None,
    reason: str = "",
) -> None:
    audit_record(
        action=action,
        request=request,
        user=user,
        obj=referral,
        municipality_id=referral.case.municipality_id,
        changed_fields=changed_fields,
        reason=reason,
    )


@transaction.atomic
def referral_propose(
    *,
    case: Case,
    resource: Resource,
    proposed_on: dt.date,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """Open a referral of a case to a resource (提案)."""
    if not resource.active:
        raise ValidationError(
            {"resource": _("この社会資源は現在「無効」です。ほかの資源を選んでください。")}
        )
    _check_not_future(proposed_on, "proposed_on")
    if proposed_on < case.intake_date:
        raise ValidationError(
            {
                "proposed_on": _("提案日はケースの受理日（%(date)s）より前にできません。")
                % {"date": date_format(case.intake_date)}
            }
        )
    duplicate_message = _(
        "このケースには、この社会資源へのつなぎがすでにあります（提案・調整中・つながった）。"
        "そちらの経過を更新してください。"
    )
    if Referral.objects.open().filter(case=case, resource=resource).exists():
        raise ValidationError({"resource": duplicate_message})
    referral = Referral(
        case=case,
        resource=resource,
        status=Status.PROPOSED,
        proposed_on=proposed_on,
        created_by=user,
    )
    try:
        # A concurrent proposal slips past the check above; the partial unique constraint
        # stops it, and the savepoint keeps the surrounding transaction usable.
        with transaction.atomic():
            referral.save()
    except IntegrityError as exc:
        raise ValidationError({"resource": duplicate_message}) from exc
    ReferralTransition.objects.create(
        referral=referral, from_status="", to_status=Status.PROPOSED, on=proposed_on, by=user
    )
    _audit_referral(
        action=Action.CREATE,
        referral=referral,
        changed_fields=["case", "resource", "status", "proposed_on"],
        user=user,
        request=request,
    )
    return referral


def _transition(
    *,
    referral: Referral,
    to_status: str,
    on: dt.date,
    expected_version: int,
    user: User,
    request: HttpRequest | None,
    extra: dict[str, Any] | None = None,
) -> Referral:
    current = Status(referral.status)
    target = Status(to_status)
    if target not in ALLOWED_TRANSITIONS[current]:
        raise ValidationError(
            _("「%(from)s」のつなぎを「%(to)s」にすることはできません。")
            % {"from": current.label, "to": target.label}
        )
    if referral.version != expected_version:
        raise _stale_error()
    _check_not_future(on)
    previous = referral.status_date
    if on < previous:
        raise ValidationError(
            {
                "on": _("日付は前の段階「%(step)s」の日付（%(date)s）より前にできません。")
                % {"step": current.label, "date": date_format(previous)}
            }
        )
    changes: dict[str, Any] = {"status": target, DATE_FIELD[target]: on, **(extra or {})}
    updated = Referral.objects.filter(pk=referral.pk, version=expected_version).update(
        **changes, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        raise _stale_error()
    ReferralTransition.objects.create(
        referral=referral, from_status=current, to_status=target, on=on, by=user
    )
    referral.refresh_from_db()
    _audit_referral(
        action=Action.UPDATE,
        referral=referral,
        changed_fields=sorted(changes),
        user=user,
        request=request,
    )
    return referral


@transaction.atomic
def referral_arrange(
    *,
    referral: Referral,
    on: dt.date,
    expected_version: int,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """提案 → 調整中: the counselor started arranging the first visit."""
    return _transition(
        referral=referral,
        to_status=Status.ARRANGING,
        on=on,
        expected_version=expected_version,
        user=user,
        request=request,
    )


@transaction.atomic
def referral_connect(
    *,
    referral: Referral,
    on: dt.date,
    expected_version: int,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """→ つながった: the person actually started using the resource on `on`.

    This is the only place that sets `connected_on`, the date target three counts. A
    connection to a work-training kind also re-checks the person's automatic employment
    outcomes (a connection recorded late can make an earlier-recorded job count).
    """
    referral = _transition(
        referral=referral,
        to_status=Status.CONNECTED,
        on=on,
        expected_version=expected_version,
        user=user,
        request=request,
    )
    if referral.resource.kind.is_work_training:
        employment_reevaluate(person_id=referral.case.person_id, user=user, request=request)
    return referral


@transaction.atomic
def referral_end(
    *,
    referral: Referral,
    on: dt.date,
    expected_version: int,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """つながった → 終了: the use ended (the connection still counts in its year)."""
    return _transition(
        referral=referral,
        to_status=Status.ENDED,
        on=on,
        expected_version=expected_version,
        user=user,
        request=request,
    )


@transaction.atomic
def referral_not_realise(
    *,
    referral: Referral,
    on: dt.date,
    reason: str,
    expected_version: int,
    user: User,
    detail: str = "",
    request: HttpRequest | None = None,
) -> Referral:
    """提案・調整中 → 不成立, with a reason. It never counts anywhere."""
    if reason not in Referral.NotRealisedReason.values:
        raise ValidationError({"reason": _("不成立の理由を選んでください。")})
    detail = detail.strip()
    if reason == Referral.NotRealisedReason.OTHER and not detail:
        raise ValidationError({"detail": _("「その他」の場合は理由を具体的に入力してください。")})
    return _transition(
        referral=referral,
        to_status=Status.NOT_REALISED,
        on=on,
        expected_version=expected_version,
        user=user,
        request=request,
        extra={"not_realised_reason": reason, "not_realised_detail": detail},
    )


@transaction.atomic
def referral_note_add(
    *,
    referral: Referral,
    date: dt.date,
    text: str,
    user: User,
    request: HttpRequest | None = None,
) -> ReferralNote:
    """A note on how the referral is going (the 90-day follow-up looks at the latest)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("内容を入力してください。")})
    _check_not_future(date, "date")
    if date < referral.proposed_on:
        raise ValidationError(
            {
                "date": _("日付はつなぎの提案日（%(date)s）より前にできません。")
                % {"date": date_format(referral.proposed_on)}
            }
        )
    note = ReferralNote.objects.create(referral=referral, date=date, text=text, by=user)
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=note,
        municipality_id=referral.case.municipality_id,
        changed_fields=["date", "text"],
    )
    return note


# Employment outcomes ------------------------------------------------------------------------


def work_training_basis(*, person_id: int, started_on: dt.date) -> Referral | None:
    """The person's earliest connected work-training referral on or before `started_on`.

    The rule behind target four's automatic judgement: a job counts as "after intermediate
    employment" when the person reached (`connected_on`) a work-training-kind resource on or
    before the day the job started. The same day counts; the day after does not. Any of the
    person's cases counts, and the referral may since have ended.
    """
    return (
        Referral.objects.filter(
            case__person_id=person_id,
            resource__kind__is_work_training=True,
            connected_on__isnull=False,
            connected_on__lte=started_on,
        )
        .order_by("connected_on", "id")
        .first()
    )


def _judgement(
    *,
    person_id: int,
    started_on: dt.date,
    manual_after_intermediate: bool | None,
    manual_reason: str,
) -> dict[str, Any]:
    manual_reason = manual_reason.strip()
    if manual_after_intermediate is None:
        basis = work_training_basis(person_id=person_id, started_on=started_on)
        return {
            "after_intermediate": basis is not None,
            "after_intermediate_source": EmploymentOutcome.Source.AUTOMATIC,
            "manual_reason": "",
            "basis_referral": basis,
        }
    if not manual_reason:
        raise ValidationError(
            {
                "manual_reason": _(
                    "手動で判定する場合は理由を入力してください（例: システム外の就労訓練を利用）。"
                )
            }
        )
    return {
        "after_intermediate": manual_after_intermediate,
        "after_intermediate_source": EmploymentOutcome.Source.MANUAL,
        "manual_reason": manual_reason,
        "basis_referral": None,
    }


def _check_employment_dates(*, case: Case, started_on: dt.date) -> None:
    _check_not_future(started_on, "started_on")
    if started_on < case.intake_date:
        raise ValidationError(
            {
                "started_on": _("就労開始日はケースの受理日（%(date)s）より前にできません。")
                % {"date": date_format(case.intake_date)}
            }
        )


@transaction.atomic
def employment_record(
    *,
    case: Case,
    started_on: dt.date,
    employment_type: str,
    user: User,
    manual_after_intermediate: bool | None = None,
    manual_reason: str = "",
    request: HttpRequest | None = None,
) -> EmploymentOutcome:
    """Record that the case's person started a job.

    `after_intermediate` is judged automatically (see `work_training_basis`) unless
    `manual_after_intermediate` is given, which needs a reason.
    """
    if employment_type not in EmploymentOutcome.EmploymentType.values:
        raise ValidationError({"employment_type": _("就労の形態を選んでください。")})
    _check_employment_dates(case=case, started_on=started_on)
    judgement = _judgement(
        person_id=case.person_id,
        started_on=started_on,
        manual_after_intermediate=manual_after_intermediate,
        manual_reason=manual_reason,
    )
    outcome = EmploymentOutcome.objects.create(
        case=case,
        person_id=case.person_id,
        started_on=started_on,
        employment_type=employment_type,
        recorded_by=user,
        **judgement,
    )
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=outcome,
        municipality_id=case.municipality_id,
        changed_fields=["case", "person", "started_on", "employment_type", *judgement],
    )
    return outcome


@transaction.atomic
def employment_update(
    *,
    outcome: EmploymentOutcome,
    expected_version: int,
    started_on: dt.date,
    employment_type: str,
    user: User,
    manual_after_intermediate: bool | None = None,
    manual_reason: str = "",
    request: HttpRequest | None = None,
) -> EmploymentOutcome:
    """Edit an outcome. `manual_after_intermediate=None` returns it to the automatic rule;
    True/False overrides the rule (when the training happened outside this system) and
    needs a reason."""
    if employment_type not in EmploymentOutcome.EmploymentType.values:
        raise ValidationError({"employment_type": _("就労の形態を選んでください。")})
    _check_employment_dates(case=outcome.case, started_on=started_on)
    judgement = _judgement(
        person_id=outcome.person_id,
        started_on=started_on,
        manual_after_intermediate=manual_after_intermediate,
        manual_reason=manual_reason,
    )
    after = {"started_on": started_on, "employment_type": employment_type, **judgement}
    before = {name: getattr(outcome, name) for name in after}
    changed = sorted(name for name, value in after.items() if before[name] != value)
    if outcome.version != expected_version:
        raise _stale_error()
    updated = EmploymentOutcome.objects.filter(pk=outcome.pk, version=expected_version).update(
        **after, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        raise _stale_error()
    outcome.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=outcome,
        municipality_id=outcome.case.municipality_id,
        changed_fields=changed,
        reason=judgement["manual_reason"],
    )
    return outcome


def employment_reevaluate(
    *, person_id: int, user: User, request: HttpRequest | None = None
) -> list[EmploymentOutcome]:
    """Re-apply the automatic rule to the person's automatically judged outcomes.

    Called inside the transaction of a work-training connection. Manual judgements are left
    as the counselor set them.
    """
    changed_outcomes = []
    outcomes = EmploymentOutcome.objects.filter(
        person_id=person_id, after_intermediate_source=EmploymentOutcome.Source.AUTOMATIC
    ).select_related("case")
    for outcome in outcomes:
        basis = work_training_basis(person_id=person_id, started_on=outcome.started_on)
        if (basis is not None) == outcome.after_intermediate and (
            basis is None or basis.pk == outcome.basis_referral_id
        ):
            continue
        EmploymentOutcome.objects.filter(pk=outcome.pk).update(
            after_intermediate=basis is not None,
            basis_referral=basis,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        outcome.refresh_from_db()
        audit_record(
            action=Action.UPDATE,
            request=request,
            user=user,
            obj=outcome,
            municipality_id=outcome.case.municipality_id,
            changed_fields=["after_intermediate", "basis_referral"],
        )
        changed_outcomes.append(outcome)
    return changed_outcomes
