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
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.types import User
from audit.services import Action, audit_record, changed_field_names
from cases.models import Case
from cases.voiding import void_row
from core.concurrency import StaleEdit, update_with_version_or_raise
from core.fiscal import current_fiscal_year, fiscal_year, fiscal_year_label, fiscal_year_range
from core.resubmission import create_once, first_submission, refuse_duplicate
from kpi import aggregates
from referrals.history import ALWAYS, ConfigHistory, KindFlags, stamp
from referrals.models import (
    EmploymentOutcome,
    Referral,
    ReferralNote,
    ReferralTransition,
    Resource,
    ResourceKind,
    ResourceKindPeriod,
    ResourceKindSetting,
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
    version: int,
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
    if referral.version != version:
        raise StaleEdit()
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
    if target == Status.CONNECTED:
        aggregates.track(persons=[referral.case.person_id], parts=[aggregates.REFERRALS])
    update_with_version_or_raise(Referral, pk=referral.pk, version=version, **changes)
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
    version: int,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """提案 → 調整中: the counselor started arranging the first visit."""
    return _transition(
        referral=referral,
        to_status=Status.ARRANGING,
        on=on,
        version=version,
        user=user,
        request=request,
    )


@transaction.atomic
@aggregates.maintained
def referral_connect(
    *,
    referral: Referral,
    on: dt.date,
    version: int,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """→ つながった: the person actually started using the resource on `on`.

    This is the only place that sets `connected_on`, the date target three counts. It also
    stamps what the connection counts as (居場所等, work training) by the configuration of
    that day (`referrals.history`). It judges no employment outcome: a job's "after
    intermediate employment" was decided when the job was recorded, and changes only by an
    explicit re-judgement (`employment_rejudge`).
    """
    return _transition(
        referral=referral,
        to_status=Status.CONNECTED,
        on=on,
        version=version,
        user=user,
        request=request,
        extra=stamp(ConfigHistory.load(), referral.resource, on),
    )


@transaction.atomic
def referral_end(
    *,
    referral: Referral,
    on: dt.date,
    version: int,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """つながった → 終了: the use ended (the connection still counts in its year)."""
    return _transition(
        referral=referral,
        to_status=Status.ENDED,
        on=on,
        version=version,
        user=user,
        request=request,
    )


@transaction.atomic
def referral_not_realise(
    *,
    referral: Referral,
    on: dt.date,
    reason: str,
    version: int,
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
        version=version,
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
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> ReferralNote:
    """A note on how the referral is going (the 90-day follow-up looks at the latest). The
    same form twice gives the first note back; the same note again within the window is
    refused unless `allow_duplicate` (core/resubmission.py)."""
    if first := first_submission(referral.notes.all(), submission_token):
        return first
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
    refuse_duplicate(referral.notes.filter(by=user, date=date, text=text), allow=allow_duplicate)
    note, created = create_once(
        referral.notes.all(), submission_token, referral=referral, date=date, text=text, by=user
    )
    if not created:
        return note
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

K4_RULE = gettext_lazy(
    "「中間的就労等を経て」の自動判定: 就労開始日以前（同じ日を含む）に、就労訓練・中間的就労"
    "として数える社会資源に「つながった」つなぎがあれば「あり」。判定は就労を記録したとき"
    "（または就労開始日を変えたとき）に行い、その後につなぎや種別の設定が変わっても変わり"
    "ません。判定し直すのは「判定し直す」操作（記録が残ります）だけです。"
)


def work_training_basis(*, person_id: int, started_on: dt.date) -> Referral | None:
    """The person's earliest connected work-training referral on or before `started_on`.

    The rule behind target four's automatic judgement (`K4_RULE`): a job counts as "after
    intermediate employment" when the person reached (`connected_on`) a resource that counted
    as work training on that day (`Referral.counted_as_work_training`) on or before the day
    the job started. The same day counts; the day after does not. Any of the person's cases
    counts, and the referral may since have ended. The rule is applied when the job is
    recorded (or its start date changes) and by `employment_rejudge`, never afterwards.
    """
    return (
        Referral.objects.filter(
            case__person_id=person_id,
            counted_as_work_training=True,
            case__voided_at__isnull=True,
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
@aggregates.maintained
def employment_record(
    *,
    case: Case,
    started_on: dt.date,
    employment_type: str,
    user: User,
    manual_after_intermediate: bool | None = None,
    manual_reason: str = "",
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> EmploymentOutcome:
    """Record that the case's person started a job.

    `after_intermediate` is judged automatically (see `work_training_basis`) unless
    `manual_after_intermediate` is given, which needs a reason. The same form twice gives the
    first record back; the same job again within the window is refused unless
    `allow_duplicate` (core/resubmission.py).
    """
    outcomes = EmploymentOutcome.objects.filter(case=case)
    if first := first_submission(outcomes, submission_token):
        return first
    if employment_type not in EmploymentOutcome.EmploymentType.values:
        raise ValidationError({"employment_type": _("就労の形態を選んでください。")})
    _check_employment_dates(case=case, started_on=started_on)
    judgement = _judgement(
        person_id=case.person_id,
        started_on=started_on,
        manual_after_intermediate=manual_after_intermediate,
        manual_reason=manual_reason,
    )
    refuse_duplicate(
        outcomes.filter(
            recorded_by=user, voided_at__isnull=True, started_on=started_on,
            employment_type=employment_type,
        ),
        allow=allow_duplicate,
    )  # fmt: skip
    aggregates.track(persons=[case.person_id], parts=[aggregates.EMPLOYMENT])
    outcome, created = create_once(
        outcomes,
        submission_token,
        case=case,
        person_id=case.person_id,
        started_on=started_on,
        employment_type=employment_type,
        recorded_by=user,
        **judgement,
    )
    if not created:
        return outcome
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
@aggregates.maintained
def employment_update(
    *,
    outcome: EmploymentOutcome,
    version: int,
    started_on: dt.date,
    employment_type: str,
    user: User,
    manual_after_intermediate: bool | None = None,
    manual_reason: str = "",
    request: HttpRequest | None = None,
) -> EmploymentOutcome:
    """Edit an outcome. `manual_after_intermediate=None` returns it to the automatic rule;
    True/False overrides the rule (when the training happened outside this system) and
    needs a reason.

    An automatic judgement whose start date does not change is kept as it was judged: editing
    the type of a job does not re-judge it by today's referrals (see `employment_rejudge`).
    """
    if employment_type not in EmploymentOutcome.EmploymentType.values:
        raise ValidationError({"employment_type": _("就労の形態を選んでください。")})
    _check_employment_dates(case=outcome.case, started_on=started_on)
    keeps_judgement = (
        manual_after_intermediate is None
        and outcome.after_intermediate_source == EmploymentOutcome.Source.AUTOMATIC
        and started_on == outcome.started_on
    )
    if keeps_judgement:
        judgement: dict[str, Any] = {
            "after_intermediate": outcome.after_intermediate,
            "after_intermediate_source": outcome.after_intermediate_source,
            "manual_reason": "",
            "basis_referral": outcome.basis_referral,
        }
    else:
        judgement = _judgement(
            person_id=outcome.person_id,
            started_on=started_on,
            manual_after_intermediate=manual_after_intermediate,
            manual_reason=manual_reason,
        )
    after = {"started_on": started_on, "employment_type": employment_type, **judgement}
    before = {name: getattr(outcome, name) for name in after}
    changed = sorted(name for name, value in after.items() if before[name] != value)
    if outcome.version != version:
        raise StaleEdit()
    aggregates.track(persons=[outcome.person_id], parts=[aggregates.EMPLOYMENT])
    update_with_version_or_raise(EmploymentOutcome, pk=outcome.pk, version=version, **after)
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


def employment_rule_says(outcome: EmploymentOutcome) -> Referral | None:
    """What the automatic rule says about the outcome today (its basis referral, or None)."""
    return work_training_basis(person_id=outcome.person_id, started_on=outcome.started_on)


@transaction.atomic
@aggregates.maintained
def employment_rejudge(
    *,
    outcome: EmploymentOutcome,
    version: int,
    user: User,
    request: HttpRequest | None = None,
) -> EmploymentOutcome:
    """Apply the automatic rule to one outcome again, on purpose (a connection recorded late).

    The only way an automatic judgement changes after the job was recorded; the audit row
    names the fields that changed. A manual judgement is the counselor's: it is refused here
    (edit the outcome to return it to the rule).
    """
    if outcome.after_intermediate_source != EmploymentOutcome.Source.AUTOMATIC:
        raise ValidationError(
            _("手動で判定した就労です。自動判定に戻すには、就労の記録を編集してください。")
        )
    if outcome.version != version:
        raise StaleEdit()
    basis = employment_rule_says(outcome)
    after = {"after_intermediate": basis is not None, "basis_referral_id": basis and basis.pk}
    before = {
        "after_intermediate": outcome.after_intermediate,
        "basis_referral_id": outcome.basis_referral_id,
    }
    changed = changed_field_names(before, after)
    aggregates.track(persons=[outcome.person_id], parts=[aggregates.EMPLOYMENT])
    update_with_version_or_raise(EmploymentOutcome, pk=outcome.pk, version=version, **after)
    outcome.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=outcome,
        municipality_id=outcome.municipality_id,
        changed_fields=changed or ["after_intermediate"],
        reason=_("自動判定をし直した"),
    )
    return outcome


# Configuration history (which kinds count, and each resource's kind) -------------------------


@dataclass(frozen=True)
class FigureChange:
    """One figure a configuration change would change: K3 of a year in a municipality, or
    the number of counted work-training connections (which feed only future judgements)."""

    fiscal_year: int
    municipality: str
    label: str
    removed: int  # referrals that would stop counting
    added: int  # referrals that would start counting

    @property
    def difference(self) -> int:
        return self.added - self.removed

    @property
    def year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)


@dataclass(frozen=True)
class ConfigChange:
    """What saving a change would do: the referrals to re-stamp and the figures that move."""

    restamp: list[tuple[int, dict[str, bool]]]  # (referral id, new stamp)
    figures: list[FigureChange]


def config_earliest_date(today: dt.date | None = None) -> dt.date:
    """A configuration change applies from the start of the current fiscal year at the
    earliest: past years (closed or not) keep what was counted (DOMAIN.md)."""
    return fiscal_year_range(current_fiscal_year(today))[0]


def _check_effective_from(effective_from: dt.date) -> None:
    today = timezone.localdate()
    earliest = config_earliest_date(today)
    if effective_from < earliest:
        raise ValidationError(
            {
                "effective_from": _(
                    "適用開始日は今年度の初日（%(date)s）以降にしてください。"
                    "過去の年度の実績は変更できません。"
                )
                % {"date": date_format(earliest)}
            }
        )
    if effective_from > today:
        raise ValidationError({"effective_from": _("未来の日付は入力できません。")})


def _plan(history: ConfigHistory, referrals: Any) -> ConfigChange:
    """Compare each referral's stamp with what `history` says; list the figures that move."""
    restamp = []
    figures: dict[tuple[int, str, str], list[int]] = {}
    k3 = str(gettext_lazy("居場所等の支援につながった件数"))
    training = str(gettext_lazy("就労訓練・中間的就労としてのつながり（今後の就労の判定に使用）"))
    for referral in referrals.select_related("resource", "municipality"):
        new = stamp(history, referral.resource, referral.connected_on)
        old = {
            "counted_as_ibasho": referral.counted_as_ibasho,
            "counted_as_work_training": referral.counted_as_work_training,
        }
        if new == old:
            continue
        restamp.append((referral.pk, new))
        year = fiscal_year(referral.connected_on)
        for name, label in (("counted_as_ibasho", k3), ("counted_as_work_training", training)):
            if new[name] != old[name]:
                row = figures.setdefault((year, referral.municipality.name, label), [0, 0])
                row[0 if old[name] else 1] += 1
    return ConfigChange(
        restamp=restamp,
        figures=[
            FigureChange(year, name, label, minus, plus)
            for (year, name, label), (minus, plus) in sorted(figures.items())
        ],
    )


def _connected_since(effective_from: dt.date) -> Any:
    return Referral.objects.filter(connected_on__gte=effective_from).order_by("connected_on")


def kind_settings_preview(
    *, kind: ResourceKind, counts_as_ibasho: bool, is_work_training: bool, effective_from: dt.date
) -> ConfigChange:
    _check_effective_from(effective_from)
    history = ConfigHistory.load().with_setting(
        kind.pk, effective_from, KindFlags(counts_as_ibasho, is_work_training)
    )
    return _plan(history, _connected_since(effective_from))


def resource_kind_preview(
    *, resource: Resource, kind: ResourceKind, effective_from: dt.date
) -> ConfigChange:
    _check_effective_from(effective_from)
    history = ConfigHistory.load().with_period(
        resource.pk, resource.kind_id, effective_from, kind.pk
    )
    return _plan(history, _connected_since(effective_from).filter(resource=resource))


def _apply(change: ConfigChange) -> None:
    # A restamped link moves K3 of its year (the counters follow the stored stamp).
    persons = Referral.objects.filter(pk__in=[pk for pk, _fields in change.restamp]).values_list(
        "case__person_id", flat=True
    )
    aggregates.track(persons=persons, parts=[aggregates.REFERRALS])
    for pk, fields in change.restamp:
        Referral.objects.filter(pk=pk).update(**fields, updated_at=timezone.now())


@transaction.atomic
@aggregates.maintained
def kind_settings_change(
    *,
    kind: ResourceKind,
    counts_as_ibasho: bool,
    is_work_training: bool,
    effective_from: dt.date,
    reason: str,
    user: User,
    request: HttpRequest | None = None,
) -> ConfigChange:
    """Change what a kind counts as, from `effective_from` on (this fiscal year at the
    earliest). Referrals connected since then are re-stamped; earlier ones keep what they
    counted as, and no employment outcome is re-judged."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("変更の理由を入力してください。")})
    kind = ResourceKind.objects.select_for_update().get(pk=kind.pk)
    change = kind_settings_preview(
        kind=kind,
        counts_as_ibasho=counts_as_ibasho,
        is_work_training=is_work_training,
        effective_from=effective_from,
    )
    if not kind.history.exists():
        ResourceKindSetting.objects.create(
            kind=kind,
            effective_from=ALWAYS,
            counts_as_ibasho=kind.counts_as_ibasho,
            is_work_training=kind.is_work_training,
            recorded_by=user,
        )
    ResourceKindSetting.objects.update_or_create(
        kind=kind,
        effective_from=effective_from,
        defaults={
            "counts_as_ibasho": counts_as_ibasho,
            "is_work_training": is_work_training,
            "reason": reason,
            "recorded_by": user,
        },
    )
    # The kind's own flags are today's setting (new connections are stamped from history).
    today = ConfigHistory.load().flags_of_kind(kind.pk, timezone.localdate())
    before = {"counts_as_ibasho": kind.counts_as_ibasho, "is_work_training": kind.is_work_training}
    ResourceKind.objects.filter(pk=kind.pk).update(
        counts_as_ibasho=today.counts_as_ibasho, is_work_training=today.is_work_training
    )
    _apply(change)
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=kind,
        changed_fields=changed_field_names(
            before,
            {"counts_as_ibasho": counts_as_ibasho, "is_work_training": is_work_training},
        )
        or ["history"],
        filters={"effective_from": effective_from.isoformat()},
        row_count=len(change.restamp),
        reason=reason,
    )
    return change


@transaction.atomic
@aggregates.maintained
def resource_kind_change(
    *,
    resource: Resource,
    kind: ResourceKind,
    effective_from: dt.date,
    reason: str,
    user: User,
    request: HttpRequest | None = None,
) -> ConfigChange:
    """Move a resource to another kind from `effective_from` on (this fiscal year at the
    earliest); its earlier links keep what they counted as."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("変更の理由を入力してください。")})
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    change = resource_kind_preview(resource=resource, kind=kind, effective_from=effective_from)
    if not resource.kind_history.exists():
        ResourceKindPeriod.objects.create(
            resource=resource, kind_id=resource.kind_id, effective_from=ALWAYS, recorded_by=user
        )
    ResourceKindPeriod.objects.update_or_create(
        resource=resource,
        effective_from=effective_from,
        defaults={"kind": kind, "reason": reason, "recorded_by": user},
    )
    today_kind = ConfigHistory.load().kind_of(resource.pk, resource.kind_id, timezone.localdate())
    Resource.objects.filter(pk=resource.pk).update(kind_id=today_kind)
    _apply(change)
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=resource,
        changed_fields=["kind"],
        filters={"effective_from": effective_from.isoformat()},
        row_count=len(change.restamp),
        reason=reason,
    )
    return change


# --- Corrections -----------------------------------------------------------------------------

# Fields cleared when a step is undone, besides the step's date.
UNDO_CLEARS = {Status.NOT_REALISED: {"not_realised_reason": "", "not_realised_detail": ""}}


def last_step(referral: Referral) -> ReferralTransition | None:
    """The step `referral_step_undo` would take back (never the proposal itself)."""
    step = referral.transitions.filter(voided_at__isnull=True).order_by("-on", "-id").first()
    if step is None or not step.from_status:
        return None
    return step


@transaction.atomic
@aggregates.maintained
def referral_step_undo(
    *,
    referral: Referral,
    version: int,
    reason: str,
    user: User,
    request: HttpRequest | None = None,
) -> Referral:
    """Undo the last step (a 「つながった」 clicked by mistake…): the referral goes back to the
    step before, the undone step stays in its history voided with who/when/why, and a
    connection undone no longer counts for K3. A K4 judgement that named it as its basis is
    not changed silently: the counselor re-judges it on purpose (`employment_rejudge`)."""
    step = last_step(referral)
    if step is None:
        raise ValidationError(_("取り消せる段階がありません（提案は、つなぎごと取り消せません）。"))
    aggregates.track(persons=[referral.case.person_id], parts=[aggregates.REFERRALS])
    void_row(
        step,
        user=user,
        reason=reason,
        recorded_by_id=step.by_id,
        recorded_at=step.created_at,
        municipality_id=referral.case.municipality_id,
        request=request,
    )
    undone = Status(step.to_status)
    changes: dict[str, Any] = {
        "status": step.from_status,
        DATE_FIELD[undone]: None,
        **UNDO_CLEARS.get(undone, {}),
    }
    update_with_version_or_raise(Referral, pk=referral.pk, version=version, **changes)
    referral.refresh_from_db()
    _audit_referral(
        action=Action.UPDATE,
        referral=referral,
        changed_fields=sorted(changes),
        user=user,
        request=request,
        reason=reason.strip(),
    )
    return referral


@transaction.atomic
@aggregates.maintained
def employment_void(
    *, outcome: EmploymentOutcome, reason: str, user: User, request: HttpRequest | None = None
) -> EmploymentOutcome:
    """Void an employment outcome recorded by mistake: kept, struck through, not in K4."""
    aggregates.track(persons=[outcome.person_id], parts=[aggregates.EMPLOYMENT])
    void_row(
        outcome,
        user=user,
        reason=reason,
        recorded_by_id=outcome.recorded_by_id,
        recorded_at=outcome.created_at,
        municipality_id=outcome.case.municipality_id,
        request=request,
    )
    return outcome
