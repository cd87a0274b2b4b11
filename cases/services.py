"""Writes for cases: intake, consultations, status changes, the household.

Every function validates before writing, runs in one transaction and records its audit row in
that same transaction. The rules they enforce are pure functions in `cases.rules`, which the
forms call too to show the same messages next to the fields.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import assignable_users
from accounts.models import User
from accounts.scope import can_see_municipality
from audit.services import Action, audit_record, changed_field_names
from cases.kana import kana_clean, kana_key, name_key
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
from cases.rules import (
    ConsultationInput,
    PersonInput,
    age_band_for,
    consultation_errors,
    date_errors,
    date_label,
    person_errors,
)
from cases.voiding import void_row
from core.concurrency import update_with_version_or_raise
from core.fiscal import fiscal_year, short_label
from core.models import Municipality
from core.resubmission import (
    DuplicateSubmission,
    create_once,
    first_submission,
    refuse_duplicate,
    window_start,
)
from kpi import aggregates

OPEN_STATUSES = (Case.Status.INTAKE, Case.Status.ASSESSMENT, Case.Status.ACTIVE)

# What may be done to a case in each status: the one table the services enforce, the views
# check and the case page's buttons follow. (Between the open statuses a case moves on its
# edit form; "void" withdraws a case opened by mistake, whatever its status.)
CASE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Case.Status.INTAKE: ("suspend", "close", "void"),
    Case.Status.ASSESSMENT: ("suspend", "close", "void"),
    Case.Status.ACTIVE: ("suspend", "close", "void"),
    Case.Status.SUSPENDED: ("close", "reopen", "void"),
    Case.Status.CLOSED: ("reopen", "void"),
}


def case_actions(case: Case) -> tuple[str, ...]:
    """The transitions open to this case now (none once it is voided)."""
    if case.is_voided:
        return ()
    return CASE_TRANSITIONS[case.status]


def _check_action(case: Case, action: str) -> None:
    if action not in case_actions(case):
        raise ValidationError(
            _("このケースは現在「%(status)s」のため、この操作はできません。")
            % {"status": case.get_status_display()}
        )


# --- Rules that read the database -----------------------------------------------------------


def assignment_errors(
    user: User, assigned: User | None, municipality: Municipality, *, current: int | None = None
) -> list[str]:
    """The assigned counselor must be able to see the case (same rule as the service)."""
    if assigned is None or assigned.pk in (user.pk, current):
        return []
    if assignable_users(municipality).filter(pk=assigned.pk).exists():
        return []
    return [_("この市町村のケースを担当できない人です。担当できる相談員を選んでください。")]


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _require_scope(user: User, municipality_id: int) -> None:
    if not can_see_municipality(user, municipality_id):
        raise PermissionDenied


# --- Persons -------------------------------------------------------------------------------


def _person_fields(data: PersonInput, *, on: dt.date) -> dict[str, Any]:
    kana = kana_clean(data.kana)
    age_band = data.age_band
    if age_band == AgeBand.UNKNOWN and data.birth_year is not None:
        age_band = age_band_for(data.birth_year, on)
    name = " ".join(data.name.split())
    return {
        "name": name,
        "name_key": name_key(name),
        "kana": kana,
        "kana_key": kana_key(kana),
        "birth_year": data.birth_year,
        "age_band": age_band,
        "sex": data.sex,
    }


# --- Intake --------------------------------------------------------------------------------


def case_number(municipality: Municipality, fy: int, sequence: int) -> str:
    """`高知市-R8-0012`: readable on the phone and unique per municipality and fiscal year."""
    return f"{municipality.name_ja}-{short_label(fy)}-{sequence:04d}"


def _next_sequence(municipality: Municipality, fy: int) -> int:
    """The next number in the municipality's fiscal year. Call inside the transaction.

    The municipality row is locked first, so that two simultaneous intakes in the same
    municipality queue here instead of both reading the same maximum. FOR NO KEY UPDATE, not
    FOR UPDATE: two intakes still queue, but a transaction that only references the
    municipality (a foreign-key check's FOR KEY SHARE: a ledger import's inserts, held until
    its commit) does not hold the intake up.
    """
    Municipality.objects.select_for_update(no_key=True).filter(pk=municipality.pk).get()
    current = Case.objects.filter(municipality=municipality, fiscal_year=fy).aggregate(
        m=Max("sequence")
    )["m"]
    return (current or 0) + 1


@transaction.atomic
@aggregates.maintained
def case_open(
    *,
    user: User,
    municipality: Municipality,
    intake_date: dt.date,
    intake_route: str,
    visitor: str,
    consultation: ConsultationInput,
    submission_token: uuid.UUID,
    person: Person | None = None,
    new_person: PersonInput | None = None,
    issue_tags: Iterable[IssueTag] = (),
    age_band_at_intake: str = AgeBand.UNKNOWN,
    withdrawal_duration: str = Case.WithdrawalDuration.UNKNOWN,
    assigned_counselor: User | None = None,
    household_notes: str = "",
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Case:
    """Intake: the person (new or existing), the numbered case and its first consultation.

    Resubmitting the same intake form (same token) returns the case opened the first time;
    the same intake again by the same user within the window (Back and resubmit: a fresh
    token) is refused with DuplicateSubmission unless `allow_duplicate`.
    """
    first = (
        Consultation.objects.select_related("case").filter(submission_token=submission_token)
    ).first()
    if first is not None:
        _require_scope(user, first.case.municipality_id)
        return first.case

    _require_scope(user, municipality.pk)
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(intake_date, today=today):
        errors["intake_date"] = msgs
    if intake_route not in Case.Route.values:
        errors["intake_route"] = [_("相談経路を選んでください。")]
    if visitor not in Case.Visitor.values:
        errors["visitor"] = [_("来談者を選んでください。")]
    if msgs := assignment_errors(user, assigned_counselor, municipality):
        errors["assigned_counselor"] = msgs
    consultation_problems = consultation_errors(consultation, intake_date=intake_date, today=today)
    consultation_problems.pop("date", None)  # the first consultation is on the intake date
    errors.update(consultation_problems)
    if person is None:
        if new_person is None:
            raise ValueError("case_open needs a person or new_person")
        errors.update(person_errors(new_person, today=today))
    elif person.municipality_id != municipality.pk:
        errors["person"] = [_("別の市町村の本人は選べません。")]
    _raise_if(errors)
    if not allow_duplicate:
        same = _recent_same_intake(
            user=user,
            municipality=municipality,
            intake_date=intake_date,
            intake_route=intake_route,
            visitor=visitor,
            notes=consultation.notes,
            person=person,
            new_person=new_person,
        )
        if same is not None:
            raise DuplicateSubmission(same)

    if person is None:
        assert new_person is not None
        person = Person.objects.create(
            municipality=municipality, **_person_fields(new_person, on=intake_date)
        )
        audit_record(
            action=Action.CREATE,
            request=request,
            user=user,
            obj=person,
            changed_fields=[k for k, v in asdict(new_person).items() if v not in ("", None)],
        )
    Household.objects.get_or_create(person=person)
    if household_notes:
        Household.objects.filter(person=person).update(notes=household_notes)

    if age_band_at_intake == AgeBand.UNKNOWN:
        age_band_at_intake = (
            age_band_for(person.birth_year, intake_date) if person.birth_year else person.age_band
        )
    fy = fiscal_year(intake_date)
    sequence = _next_sequence(municipality, fy)
    aggregates.track(persons=[person.pk], parts=[aggregates.CASES, aggregates.CONSULTATIONS])
    case = Case.objects.create(
        number=case_number(municipality, fy, sequence),
        municipality=municipality,
        fiscal_year=fy,
        sequence=sequence,
        person=person,
        intake_date=intake_date,
        intake_route=intake_route,
        visitor=visitor,
        age_band_at_intake=age_band_at_intake,
        withdrawal_duration=withdrawal_duration,
        assigned_counselor=assigned_counselor,
        status=Case.Status.INTAKE,
        status_changed_on=intake_date,
        created_by=user,
    )
    tags = list(issue_tags)
    case.issue_tags.set(tags)
    CaseStatusChange.objects.create(
        case=case, from_status="", to_status=Case.Status.INTAKE, changed_on=intake_date,
        changed_by=user,
    )  # fmt: skip
    record = Consultation.objects.create(
        case=case,
        recorded_by=user,
        submission_token=submission_token,
        **{**asdict(consultation), "date": intake_date},
    )
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=case,
        changed_fields=[
            "number", "municipality", "intake_date", "intake_route", "visitor", "person",
            "age_band_at_intake", "withdrawal_duration", "assigned_counselor", "status",
            *(["issue_tags"] if tags else []), *(["household.notes"] if household_notes else []),
        ],
    )  # fmt: skip
    _audit_consultation(Action.CREATE, record, case, user=user, request=request)
    return case


def _recent_same_intake(
    *,
    user: User,
    municipality: Municipality,
    intake_date: dt.date,
    intake_route: str,
    visitor: str,
    notes: str,
    person: Person | None,
    new_person: PersonInput | None,
) -> Case | None:
    """A case this user opened a moment ago with the same intake and first note."""
    cases = Case.objects.filter(
        created_by=user,
        municipality=municipality,
        intake_date=intake_date,
        intake_route=intake_route,
        visitor=visitor,
        voided_at__isnull=True,
        created_at__gte=window_start(),
        consultations__notes=notes,
    )
    if person is not None:
        cases = cases.filter(person=person)
    elif new_person is not None:
        fields = _person_fields(new_person, on=intake_date)
        cases = cases.filter(person__kana_key=fields["kana_key"], person__name=fields["name"])
    return cases.order_by("-id").first()


def _audit_consultation(
    action: str,
    record: Consultation,
    case: Case,
    *,
    user: User,
    request: HttpRequest | None,
    changed_fields: Iterable[str] | None = None,
) -> None:
    if changed_fields is None:
        changed_fields = [
            name
            for name in ConsultationInput.__dataclass_fields__
            if getattr(record, name) not in ("", None)
        ]
    audit_record(
        action=action,
        request=request,
        user=user,
        obj=record,
        municipality_id=case.municipality_id,
        changed_fields=changed_fields,
    )


# --- Consultations -------------------------------------------------------------------------


@transaction.atomic
@aggregates.maintained
def consultation_record(
    *,
    user: User,
    case: Case,
    data: ConsultationInput,
    submission_token: uuid.UUID,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> Consultation:
    """Record one contact. The same form submitted twice gives the first record back; the
    same content again within the window is refused (DuplicateSubmission) unless
    `allow_duplicate` (the user ticked "record it again")."""
    _require_scope(user, case.municipality_id)
    consultations = case.consultations.all()
    elsewhere = _("この入力はすでに別のケースに送信されています。")
    if first := first_submission(consultations, submission_token, elsewhere=elsewhere):
        return first
    if case.is_voided:
        raise ValidationError(_("取消されたケースには記録できません。"))
    if not case.is_open:
        raise ValidationError(
            _("終結・中断しているケースには記録できません。ケースを再開してから記録してください。")
        )
    _raise_if(consultation_errors(data, intake_date=case.intake_date))
    refuse_duplicate(
        consultations.filter(recorded_by=user, voided_at__isnull=True, **asdict(data)),
        allow=allow_duplicate,
    )
    aggregates.track(persons=[case.person_id], parts=[aggregates.CONSULTATIONS])
    record, created = create_once(
        consultations, submission_token, case=case, recorded_by=user, **asdict(data)
    )
    if not created:
        return record
    _audit_consultation(Action.CREATE, record, case, user=user, request=request)
    return record


@transaction.atomic
@aggregates.maintained
def consultation_update(
    *,
    user: User,
    consultation: Consultation,
    version: int,
    data: ConsultationInput,
    request: HttpRequest | None = None,
) -> Consultation:
    """Edit a consultation; refused when someone else saved it since the form was opened."""
    case = consultation.case
    _require_scope(user, case.municipality_id)
    _raise_if(consultation_errors(data, intake_date=case.intake_date))
    before = {name: getattr(consultation, name) for name in ConsultationInput.__dataclass_fields__}
    after = asdict(data)
    aggregates.track(persons=[case.person_id], parts=[aggregates.CONSULTATIONS])
    update_with_version_or_raise(Consultation, pk=consultation.pk, version=version, **after)
    consultation.refresh_from_db()
    _audit_consultation(
        Action.UPDATE,
        consultation,
        case,
        user=user,
        request=request,
        changed_fields=changed_field_names(before, after),
    )
    return consultation


# --- Case edits and status -----------------------------------------------------------------


@transaction.atomic
@aggregates.maintained
def case_update(
    *,
    user: User,
    case: Case,
    version: int,
    intake_route: str,
    visitor: str,
    age_band_at_intake: str,
    withdrawal_duration: str,
    assigned_counselor: User | None,
    issue_tags: Iterable[IssueTag],
    person: PersonInput,
    status: str | None = None,
    household_notes: str | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Edit a case's summary and its person (optimistic version check).

    `status` may move between the open statuses (受付 → アセスメント → 支援中); closing,
    suspending and reopening have their own functions with a date and a reason.
    """
    _require_scope(user, case.municipality_id)
    today = timezone.localdate()
    errors = person_errors(person, today=today)
    status = status or case.status
    if status != case.status and (not case.is_open or status not in OPEN_STATUSES):
        errors["status"] = [_("終結・中断・再開は、それぞれの操作から行ってください。")]
    if msgs := assignment_errors(
        user, assigned_counselor, case.municipality, current=case.assigned_counselor_id
    ):
        errors["assigned_counselor"] = msgs
    _raise_if(errors)
    if intake_route != case.intake_route:
        # K1 by intake route (kpi.aggregates): the case counts under its new route.
        aggregates.track(persons=[case.person_id], parts=[aggregates.CASES])

    case_before = {
        "intake_route": case.intake_route,
        "visitor": case.visitor,
        "age_band_at_intake": case.age_band_at_intake,
        "withdrawal_duration": case.withdrawal_duration,
        "assigned_counselor": case.assigned_counselor_id,
        "status": case.status,
    }
    case_after = {
        "intake_route": intake_route,
        "visitor": visitor,
        "age_band_at_intake": age_band_at_intake,
        "withdrawal_duration": withdrawal_duration,
        "assigned_counselor": getattr(assigned_counselor, "pk", None),
        "status": status,
    }
    values: dict[str, Any] = {
        "intake_route": intake_route,
        "visitor": visitor,
        "age_band_at_intake": age_band_at_intake,
        "withdrawal_duration": withdrawal_duration,
        "assigned_counselor": assigned_counselor,
    }
    if status != case.status:
        values.update(status=status, status_changed_on=today, status_reason="")
    update_with_version_or_raise(Case, pk=case.pk, version=version, **values)
    if status != case.status:
        CaseStatusChange.objects.create(
            case=case, from_status=case.status, to_status=status, changed_on=today,
            changed_by=user,
        )  # fmt: skip

    changed = changed_field_names(case_before, case_after)
    tags = sorted(tag.pk for tag in issue_tags)
    if sorted(case.issue_tags.values_list("pk", flat=True)) != tags:
        case.issue_tags.set(tags)
        changed.append("issue_tags")

    person_obj = case.person
    person_before = {name: getattr(person_obj, name) for name in PersonInput.__dataclass_fields__}
    person_after = _person_fields(person, on=case.intake_date)
    # An unchanged band is kept as entered, not re-derived from the birth year.
    if person.age_band == AgeBand.UNKNOWN and person_before["birth_year"] == person.birth_year:
        person_after["age_band"] = person_before["age_band"]
    person_changed = changed_field_names(
        person_before, {k: person_after[k] for k in PersonInput.__dataclass_fields__}
    )
    if person_changed:
        Person.objects.filter(pk=person_obj.pk).update(**person_after, updated_at=timezone.now())
        changed += [f"person.{name}" for name in person_changed]

    if household_notes is not None:
        household, _created = Household.objects.get_or_create(person=person_obj)
        if household.notes != household_notes:
            household.notes = household_notes
            household.save(update_fields=["notes"])
            changed.append("household.notes")

    case.refresh_from_db()
    audit_record(action=Action.UPDATE, request=request, user=user, obj=case, changed_fields=changed)
    return case


@aggregates.maintained
def _status_change(
    *,
    user: User,
    case: Case,
    version: int,
    to_status: str,
    action: str,
    on: dt.date,
    reason: str,
    request: HttpRequest | None,
    end_reason: str = "",
) -> Case:
    _require_scope(user, case.municipality_id)
    _check_action(case, action)
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(on, not_before=case.intake_date):
        errors["on"] = msgs
    elif on < case.status_changed_on:
        errors["on"] = [
            _("前回の状況の変更日（%(date)s）より前の日付は入力できません。")
            % {"date": date_label(case.status_changed_on)}
        ]
    closing = to_status in Case.CLOSED_STATUSES
    # The form asks for a category; older callers (imports, demo data) may leave it empty.
    if closing and end_reason and end_reason not in Case.EndReason.values:
        errors["end_reason"] = [_("終結・中断の理由の区分を選んでください。")]
    if not closing:
        end_reason = ""
    if not reason.strip() and not (closing and end_reason and end_reason != "other"):
        # A category says why; free text is needed only for reopening and for 「その他」.
        errors["reason"] = [_("理由を入力してください。")]
    _raise_if(errors)

    # Closes and suspensions by end reason (kpi.aggregates) count this change.
    aggregates.track(persons=[case.person_id], parts=[aggregates.STATUSES])
    update_with_version_or_raise(
        Case,
        pk=case.pk,
        version=version,
        status=to_status,
        status_changed_on=on,
        status_reason=reason.strip(),
        end_reason=end_reason,
        closed_on=on if closing else None,
    )
    CaseStatusChange.objects.create(
        case=case, from_status=case.status, to_status=to_status, changed_on=on,
        reason=reason.strip(), end_reason=end_reason, changed_by=user,
    )  # fmt: skip
    case.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=case,
        changed_fields=["status", "status_changed_on", "status_reason", "end_reason", "closed_on"],
    )
    return case


@transaction.atomic
def case_close(
    *,
    user: User,
    case: Case,
    version: int,
    closed_on: dt.date,
    reason: str,
    end_reason: str = "",
    request: HttpRequest | None = None,
) -> Case:
    """終結: support ended (goal reached, moved away, handed over…), with a category."""
    return _status_change(
        user=user,
        case=case,
        version=version,
        to_status=Case.Status.CLOSED,
        action="close",
        on=closed_on,
        reason=reason,
        end_reason=end_reason,
        request=request,
    )


@transaction.atomic
def case_suspend(
    *,
    user: User,
    case: Case,
    version: int,
    suspended_on: dt.date,
    reason: str,
    end_reason: str = "",
    request: HttpRequest | None = None,
) -> Case:
    """中断: contact lost or support paused at the family's wish."""
    return _status_change(
        user=user,
        case=case,
        version=version,
        to_status=Case.Status.SUSPENDED,
        action="suspend",
        on=suspended_on,
        reason=reason,
        end_reason=end_reason,
        request=request,
    )


@transaction.atomic
def case_reopen(
    *,
    user: User,
    case: Case,
    version: int,
    reopened_on: dt.date,
    reason: str,
    request: HttpRequest | None = None,
) -> Case:
    """Reopen a closed or suspended case: back to 支援中."""
    return _status_change(
        user=user,
        case=case,
        version=version,
        to_status=Case.Status.ACTIVE,
        action="reopen",
        on=reopened_on,
        reason=reason,
        request=request,
    )


# --- Household -----------------------------------------------------------------------------

MEMBER_FIELDS = ("name", "relationship", "age_band", "needs_care", "young_carer", "circumstances")


def _audit_member(
    action: str,
    member: HouseholdMember,
    case: Case,
    *,
    user: User,
    request: HttpRequest | None,
    changed_fields: Iterable[str],
) -> None:
    audit_record(
        action=action,
        request=request,
        user=user,
        object_type="cases.householdmember",
        object_id=member.pk,
        municipality_id=case.municipality_id,
        changed_fields=changed_fields,
    )


@transaction.atomic
def household_member_add(
    *,
    user: User,
    case: Case,
    relationship: str,
    name: str = "",
    age_band: str = AgeBand.UNKNOWN,
    needs_care: bool = False,
    young_carer: bool = False,
    circumstances: str = "",
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> HouseholdMember:
    """Add a household member. The same form twice gives the first member back; the same
    member (name, relationship, age band, circumstances) again is refused unless
    `allow_duplicate` (core/resubmission.py; members keep no creation time)."""
    _require_scope(user, case.municipality_id)
    household, _created = Household.objects.get_or_create(person=case.person)
    if first := first_submission(household.members.all(), submission_token):
        return first
    values = {
        "name": name, "relationship": relationship, "age_band": age_band,
        "needs_care": needs_care, "young_carer": young_carer, "circumstances": circumstances,
    }  # fmt: skip
    refuse_duplicate(household.members.filter(**values), allow=allow_duplicate, recent=False)
    member, created = create_once(
        household.members.all(), submission_token, household=household, **values
    )
    if not created:
        return member
    _audit_member(
        Action.CREATE,
        member,
        case,
        user=user,
        request=request,
        changed_fields=[f for f in MEMBER_FIELDS if getattr(member, f) not in ("", False)],
    )
    return member


@transaction.atomic
def household_member_update(
    *,
    user: User,
    case: Case,
    member: HouseholdMember,
    relationship: str,
    age_band: str,
    name: str = "",
    needs_care: bool,
    young_carer: bool,
    circumstances: str,
    request: HttpRequest | None = None,
) -> HouseholdMember:
    _require_scope(user, case.municipality_id)
    if member.household.person_id != case.person_id:
        raise PermissionDenied
    before = {f: getattr(member, f) for f in MEMBER_FIELDS}
    after = {
        "name": name,
        "relationship": relationship,
        "age_band": age_band,
        "needs_care": needs_care,
        "young_carer": young_carer,
        "circumstances": circumstances,
    }
    changed = changed_field_names(before, after)
    for name, value in after.items():
        setattr(member, name, value)
    member.save(update_fields=list(MEMBER_FIELDS))
    _audit_member(Action.UPDATE, member, case, user=user, request=request, changed_fields=changed)
    return member


@transaction.atomic
def household_member_remove(
    *,
    user: User,
    case: Case,
    member: HouseholdMember,
    request: HttpRequest | None = None,
) -> None:
    _require_scope(user, case.municipality_id)
    if member.household.person_id != case.person_id:
        raise PermissionDenied
    _audit_member(Action.DELETE, member, case, user=user, request=request, changed_fields=[])
    member.delete()


# --- Corrections (取消) ---------------------------------------------------------------------


@transaction.atomic
@aggregates.maintained
def consultation_void(
    *, user: User, consultation: Consultation, reason: str, request: HttpRequest | None = None
) -> Consultation:
    """Void a consultation saved by mistake: kept, struck through, counted nowhere."""
    _require_scope(user, consultation.case.municipality_id)
    aggregates.track(persons=[consultation.case.person_id], parts=[aggregates.CONSULTATIONS])
    void_row(
        consultation,
        user=user,
        reason=reason,
        recorded_by_id=consultation.recorded_by_id,
        recorded_at=consultation.created_at,
        municipality_id=consultation.case.municipality_id,
        request=request,
    )
    return consultation


@transaction.atomic
@aggregates.maintained
def case_void(*, user: User, case: Case, reason: str, request: HttpRequest | None = None) -> Case:
    """Withdraw a case opened by mistake (a duplicate intake…): it leaves every list and count
    (K1, 延べ件数/実人数, its referrals and employment outcomes), and stays readable."""
    _require_scope(user, case.municipality_id)
    if case.is_voided:
        raise ValidationError(_("この記録はすでに取消されています。"))
    _check_action(case, "void")
    aggregates.track(persons=aggregates.persons_of_case(case))
    void_row(
        case,
        user=user,
        reason=reason,
        recorded_by_id=case.created_by_id,
        recorded_at=case.created_at,
        municipality_id=case.municipality_id,
        request=request,
    )
    return case
