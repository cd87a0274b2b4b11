"""Writes for the programme. Each validates first, runs in one transaction and records its
audit row in it (values are never logged, only the names of the fields written)."""

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import can_see_municipality
from accounts.types import User
from audit.services import Action, audit_record
from cases.models import AgeBand, Case
from cases.rules import ConsultationInput, PersonInput, date_errors
from cases.services import case_open
from core.models import Jurisdiction, Municipality
from core.resubmission import create_once, first_submission, refuse_duplicate
from kpi import aggregates
from platforms.models import CaseMeeting
from programme.models import (
    OutreachAttempt,
    PublicityAction,
    SupervisionRequest,
    SurveyEntry,
    TrainingAttendance,
    TrainingEvent,
)
from programme.selectors import can_supervise, programme_jurisdictions

# The intake route a case opened from an entry starts with, from who reported the person.
ROUTE_FROM_REPORTER: dict[str, str] = {
    SurveyEntry.Reporter.WELFARE_VOLUNTEER: Case.Route.WELFARE_VOLUNTEER,
    SurveyEntry.Reporter.COMMUNITY_CARE: Case.Route.COMMUNITY_CARE,
    SurveyEntry.Reporter.SCHOOL: Case.Route.SCHOOL,
    SurveyEntry.Reporter.SOCIAL_WELFARE_COUNCIL: Case.Route.SOCIAL_WELFARE_COUNCIL,
    SurveyEntry.Reporter.MEDICAL: Case.Route.MEDICAL,
    SurveyEntry.Reporter.MUNICIPALITY: Case.Route.MUNICIPALITY,
    SurveyEntry.Reporter.NEIGHBOUR: Case.Route.OTHER,
    SurveyEntry.Reporter.OTHER: Case.Route.OTHER,
}


def asdict(data: Any) -> dict[str, Any]:
    """A dataclass's fields, shallow (model instances stay themselves, not deep copies)."""
    return {f.name: getattr(data, f.name) for f in fields(data)}


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _require_scope(user: User, municipality_id: int) -> None:
    if not can_see_municipality(user, municipality_id):
        raise PermissionDenied


# --- Register entries and outreach ---------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    reported_on: dt.date
    reporter: str
    reporter_note: str = ""
    age_band: str = AgeBand.UNKNOWN
    withdrawal_duration: str = Case.WithdrawalDuration.UNKNOWN
    household: str = SurveyEntry.HouseholdType.UNKNOWN
    agency_involved: bool = False
    agency_note: str = ""
    name: str = ""
    address: str = ""
    notes: str = ""
    next_outreach_on: dt.date | None = None


def entry_errors(data: EntryInput, *, today: dt.date | None = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(data.reported_on, today=today):
        errors["reported_on"] = msgs
    if data.reporter not in SurveyEntry.Reporter.values:
        errors["reporter"] = [_("把握の経路を選んでください。")]
    if data.next_outreach_on and data.reported_on and data.next_outreach_on < data.reported_on:
        errors["next_outreach_on"] = [_("次のアウトリーチ予定日は、把握日以降にしてください。")]
    return errors


@transaction.atomic
def survey_entry_create(
    *,
    user: User,
    municipality: Municipality,
    data: EntryInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> SurveyEntry:
    """A person reported by a watcher (民生委員, 地域包括…) enters the register. The same form
    twice gives the first entry back; the same entry again within the window is refused
    unless `allow_duplicate` (core/resubmission.py)."""
    _require_scope(user, municipality.pk)
    entries = SurveyEntry.objects.filter(municipality=municipality)
    if first := first_submission(entries, submission_token):
        return first
    _raise_if(entry_errors(data))
    values = {**asdict(data), "name": " ".join(data.name.split())}
    refuse_duplicate(entries.filter(created_by=user, **values), allow=allow_duplicate)
    entry, created = create_once(
        entries, submission_token, municipality=municipality, created_by=user, **values
    )
    if not created:
        return entry
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=entry,
        changed_fields=[k for k, v in asdict(data).items() if v not in ("", None, False)],
    )
    return entry


@dataclass(frozen=True)
class OutreachInput:
    date: dt.date
    method: str
    outcome: str
    two_person: bool = False
    companion: str = ""
    notes: str = ""
    next_outreach_on: dt.date | None = None


def outreach_errors(
    data: OutreachInput, *, entry: SurveyEntry, today: dt.date | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(data.date, today=today):
        errors["date"] = msgs
    elif data.date and data.date < entry.reported_on:
        errors["date"] = [_("把握日より前の日付は入力できません。")]
    if data.method not in OutreachAttempt.Method.values:
        errors["method"] = [_("方法を選んでください。")]
    if data.outcome not in OutreachAttempt.Outcome.values:
        errors["outcome"] = [_("結果を選んでください。")]
    if data.method == OutreachAttempt.Method.LETTER and data.outcome in OutreachAttempt.REACHED:
        errors["outcome"] = [_("手紙では「会えた」「家族のみ」は選べません。")]
    if data.two_person and not data.companion.strip():
        errors["companion"] = [_("2人で訪問したときは、同行者を入力してください。")]
    if data.next_outreach_on and data.date and data.next_outreach_on < data.date:
        errors["next_outreach_on"] = [_("次のアウトリーチ予定日は、実施日以降にしてください。")]
    return errors


@transaction.atomic
def outreach_record(
    *,
    user: User,
    entry: SurveyEntry,
    data: OutreachInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> OutreachAttempt:
    """One outreach attempt; its next date becomes the entry's next outreach (or none). The
    same form twice gives the first attempt back; the same attempt again within the window
    is refused unless `allow_duplicate` (core/resubmission.py)."""
    _require_scope(user, entry.municipality_id)
    if first := first_submission(entry.attempts.all(), submission_token):
        return first
    entry = SurveyEntry.objects.select_for_update().get(pk=entry.pk)
    errors = outreach_errors(data, entry=entry)
    if not entry.is_open:
        errors.setdefault("__all__", []).append(
            _("この名簿はすでに相談につながったか、対応を終えています。")
        )
    _raise_if(errors)
    values = {k: v for k, v in asdict(data).items() if k != "next_outreach_on"}
    refuse_duplicate(entry.attempts.filter(recorded_by=user, **values), allow=allow_duplicate)
    attempt, created = create_once(
        entry.attempts.all(), submission_token, entry=entry, recorded_by=user, **values
    )
    if not created:
        return attempt
    entry.next_outreach_on = data.next_outreach_on
    entry.save(update_fields=["next_outreach_on", "updated_at"])
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=attempt,
        municipality_id=entry.municipality_id,
        changed_fields=[k for k, v in asdict(data).items() if v not in ("", None, False)],
    )
    return attempt


@transaction.atomic
def survey_entry_close(
    *,
    user: User,
    entry: SurveyEntry,
    closed_on: dt.date,
    reason: str,
    request: HttpRequest | None = None,
) -> SurveyEntry:
    """No further outreach (moved away, already supported elsewhere…): the reason is kept."""
    _require_scope(user, entry.municipality_id)
    entry = SurveyEntry.objects.select_for_update().get(pk=entry.pk)
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(closed_on):
        errors["closed_on"] = msgs
    elif closed_on < entry.reported_on:
        errors["closed_on"] = [_("把握日より前の日付は入力できません。")]
    if not reason.strip():
        errors["reason"] = [_("対応終了の理由を入力してください。")]
    if not entry.is_open:
        errors.setdefault("__all__", []).append(
            _("この名簿はすでに相談につながったか、対応を終えています。")
        )
    _raise_if(errors)
    entry.closed_on = closed_on
    entry.closed_reason = reason.strip()
    entry.next_outreach_on = None
    entry.save(update_fields=["closed_on", "closed_reason", "next_outreach_on", "updated_at"])
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=entry,
        changed_fields=["closed_on", "closed_reason", "next_outreach_on"],
    )
    return entry


@transaction.atomic
def survey_entry_open_case(
    *,
    user: User,
    entry: SurveyEntry,
    intake_date: dt.date,
    intake_route: str,
    visitor: str,
    consultation: ConsultationInput,
    submission_token: uuid.UUID,
    person: PersonInput,
    withdrawal_duration: str,
    age_band_at_intake: str = AgeBand.UNKNOWN,
    issue_tags: Any = (),
    household_notes: str = "",
    assigned_counselor: User | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Open a case from a register entry (cases' own intake) and link the two.

    The same form sent twice (same token) returns the case opened the first time.
    """
    _require_scope(user, entry.municipality_id)
    entry = SurveyEntry.objects.select_for_update().select_related("municipality").get(pk=entry.pk)
    if entry.case_id is not None:
        existing = Case.objects.get(pk=entry.case_id)
        if existing.consultations.filter(submission_token=submission_token).exists():
            return existing
        raise ValidationError(_("この名簿からはすでに相談ケースが作られています。"))
    if entry.closed_on is not None:
        raise ValidationError(_("対応を終えた名簿からは相談ケースを作れません。"))
    if intake_date < entry.reported_on:
        raise ValidationError({"intake_date": [_("把握日より前の日付は入力できません。")]})
    case = case_open(
        user=user,
        municipality=entry.municipality,
        intake_date=intake_date,
        intake_route=intake_route,
        visitor=visitor,
        consultation=consultation,
        submission_token=submission_token,
        new_person=person,
        age_band_at_intake=age_band_at_intake,
        withdrawal_duration=withdrawal_duration,
        issue_tags=issue_tags,
        household_notes=household_notes,
        assigned_counselor=assigned_counselor,
        request=request,
    )
    entry.case = case
    entry.next_outreach_on = None
    entry.save(update_fields=["case", "next_outreach_on", "updated_at"])
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=entry,
        changed_fields=["case", "next_outreach_on"],
    )
    return case


# --- Supervision ---------------------------------------------------------------------------

TRANSITIONS = {
    # from status: the statuses it may go to
    SupervisionRequest.Status.REQUESTED: {
        SupervisionRequest.Status.ACCEPTED,
        SupervisionRequest.Status.DECLINED,
        SupervisionRequest.Status.WITHDRAWN,
    },
    SupervisionRequest.Status.ACCEPTED: {
        SupervisionRequest.Status.GIVEN,
        SupervisionRequest.Status.WITHDRAWN,
    },
    SupervisionRequest.Status.GIVEN: set(),
    SupervisionRequest.Status.DECLINED: set(),
    SupervisionRequest.Status.WITHDRAWN: set(),
}


def _transition_errors(item: SupervisionRequest, to: str) -> None:
    if to not in TRANSITIONS[SupervisionRequest.Status(item.status)]:
        raise ValidationError(
            _("「%(status)s」のスーパーバイズは、この操作ができません。")
            % {"status": item.get_status_display()}
        )


def _locked(item: SupervisionRequest, version: int | None) -> SupervisionRequest:
    current = SupervisionRequest.objects.select_for_update().get(pk=item.pk)
    if version is not None and current.version != version:
        raise ValidationError(
            _("このスーパーバイズは他の人が更新しました。画面を開き直してください。")
        )
    return current


@transaction.atomic
def supervision_request(
    *,
    user: User,
    requested_on: dt.date,
    question: str,
    meeting: CaseMeeting | None = None,
    case: Case | None = None,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> SupervisionRequest:
    """A municipality asks for supervision of a case meeting (or of a case). The same form
    twice gives the first request back; the same question again within the window is
    refused unless `allow_duplicate` (core/resubmission.py)."""
    if (meeting is None) == (case is None):
        raise ValueError("supervision_request needs a meeting or a case")
    if meeting is not None:
        municipality_id = meeting.municipality_id
    else:
        assert case is not None  # one of the two, checked above
        municipality_id = case.municipality_id
    _require_scope(user, municipality_id)
    requests = SupervisionRequest.objects.filter(meeting=meeting, case=case)
    if first := first_submission(requests, submission_token):
        return first
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(requested_on):
        errors["requested_on"] = msgs
    if not question.strip():
        errors["question"] = [_("相談したいことを入力してください。")]
    _raise_if(errors)
    refuse_duplicate(
        requests.filter(requested_by=user, requested_on=requested_on, question=question.strip()),
        allow=allow_duplicate,
    )
    item, created = create_once(
        requests,
        submission_token,
        municipality_id=municipality_id,
        meeting=meeting,
        case=case,
        requested_on=requested_on,
        question=question.strip(),
        requested_by=user,
    )
    if not created:
        return item
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=item,
        changed_fields=["meeting" if meeting else "case", "requested_on", "question", "status"],
    )
    return item


@transaction.atomic
def supervision_accept(
    *,
    user: User,
    item: SupervisionRequest,
    accepted_on: dt.date,
    body: str,
    supervisor_name: str,
    jurisdiction: Jurisdiction | None = None,
    version: int | None = None,
    request: HttpRequest | None = None,
) -> SupervisionRequest:
    """The centre or a 福祉保健所 accepts and names the supervisor."""
    if not can_supervise(user, item.municipality_id):
        raise PermissionDenied
    item = _locked(item, version)
    _transition_errors(item, SupervisionRequest.Status.ACCEPTED)
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(accepted_on):
        errors["accepted_on"] = msgs
    elif accepted_on < item.requested_on:
        errors["accepted_on"] = [_("依頼日より前の日付は入力できません。")]
    if body not in SupervisionRequest.Body.values:
        errors["body"] = [_("実施機関を選んでください。")]
    if body == SupervisionRequest.Body.HEALTH_OFFICE and jurisdiction is None:
        errors["jurisdiction"] = [_("福祉保健所を選んでください。")]
    if not supervisor_name.strip():
        errors["supervisor_name"] = [_("スーパーバイザーの名前を入力してください。")]
    _raise_if(errors)
    item.status = SupervisionRequest.Status.ACCEPTED
    item.accepted_on = accepted_on
    item.body = body
    item.jurisdiction = jurisdiction if body == SupervisionRequest.Body.HEALTH_OFFICE else None
    item.supervisor_name = supervisor_name.strip()
    item.version = F("version") + 1
    item.save()
    item.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=item,
        changed_fields=["status", "accepted_on", "body", "jurisdiction", "supervisor_name"],
    )
    return item


@transaction.atomic
@aggregates.maintained
def supervision_give(
    *,
    user: User,
    item: SupervisionRequest,
    given_on: dt.date,
    advice: str,
    version: int | None = None,
    request: HttpRequest | None = None,
) -> SupervisionRequest:
    """The supervision took place: the advice is recorded apart from the meeting's minutes,
    and a meeting without a supervision mark gets the body's (what K-figures count)."""
    if not can_supervise(user, item.municipality_id):
        raise PermissionDenied
    item = _locked(item, version)
    _transition_errors(item, SupervisionRequest.Status.GIVEN)
    errors: dict[str, list[str]] = {}
    if msgs := date_errors(given_on):
        errors["given_on"] = msgs
    elif item.accepted_on and given_on < item.accepted_on:
        errors["given_on"] = [_("受諾日より前の日付は入力できません。")]
    if not advice.strip():
        errors["advice"] = [_("助言の内容を入力してください。")]
    _raise_if(errors)
    item.status = SupervisionRequest.Status.GIVEN
    item.given_on = given_on
    item.advice = advice.strip()
    item.version = F("version") + 1
    item.save()
    item.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=item,
        changed_fields=["status", "given_on", "advice"],
    )
    if item.meeting_id is not None:
        mark = (
            CaseMeeting.Supervision.CENTER
            if item.body == SupervisionRequest.Body.CENTER
            else CaseMeeting.Supervision.HEALTH_OFFICE
        )
        meeting_municipality = CaseMeeting.objects.get(pk=item.meeting_id).municipality_id
        aggregates.track(municipalities=[meeting_municipality])
        updated = CaseMeeting.objects.filter(
            pk=item.meeting_id, supervision=CaseMeeting.Supervision.NONE
        ).update(supervision=mark, version=F("version") + 1)
        if updated:
            audit_record(
                action=Action.UPDATE,
                request=request,
                user=user,
                object_type="platforms.casemeeting",
                object_id=item.meeting_id,
                municipality_id=item.municipality_id,
                changed_fields=["supervision"],
            )
    return item


@transaction.atomic
def supervision_close(
    *,
    user: User,
    item: SupervisionRequest,
    to: str,
    reason: str,
    version: int | None = None,
    request: HttpRequest | None = None,
) -> SupervisionRequest:
    """Declined by the supervising side, or withdrawn by the municipality, with a reason."""
    if to == SupervisionRequest.Status.DECLINED:
        if not can_supervise(user, item.municipality_id):
            raise PermissionDenied
    elif to == SupervisionRequest.Status.WITHDRAWN:
        _require_scope(user, item.municipality_id)
    else:
        raise ValueError(to)
    item = _locked(item, version)
    _transition_errors(item, to)
    if not reason.strip():
        raise ValidationError({"reason": [_("理由を入力してください。")]})
    item.status = to
    item.closed_reason = reason.strip()
    item.version = F("version") + 1
    item.save()
    item.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=item,
        changed_fields=["status", "closed_reason"],
    )
    return item


# --- Training and publicity ----------------------------------------------------------------


def _require_jurisdiction(user: User, jurisdiction: Jurisdiction | None) -> None:
    allowed = programme_jurisdictions(user)
    if allowed is None:
        raise PermissionDenied
    if jurisdiction is None:
        # Prefecture-wide events: the centre and admins only.
        if user.role not in ("center", "admin"):
            raise PermissionDenied
    elif not allowed.filter(pk=jurisdiction.pk).exists():
        raise PermissionDenied


@dataclass(frozen=True)
class TrainingInput:
    title: str
    kind: str
    held_on: dt.date
    organiser: str
    audience: str
    jurisdiction: Jurisdiction | None = None
    notes: str = ""


@transaction.atomic
def training_event_create(
    *,
    user: User,
    prefecture_code: str,
    data: TrainingInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> TrainingEvent:
    """Record an event. The same form twice gives the first event back; the same event again
    within the window is refused unless `allow_duplicate` (core/resubmission.py)."""
    _require_jurisdiction(user, data.jurisdiction)
    events = TrainingEvent.objects.filter(
        prefecture_code=data.jurisdiction.prefecture_code if data.jurisdiction else prefecture_code
    )
    if first := first_submission(events, submission_token):
        return first
    errors: dict[str, list[str]] = {}
    if data.kind not in TrainingEvent.Kind.values:
        errors["kind"] = [_("種別を選んでください。")]
    if data.audience not in TrainingEvent.Audience.values:
        errors["audience"] = [_("対象を選んでください。")]
    if not data.title.strip():
        errors["title"] = [_("名称を入力してください。")]
    if not data.organiser.strip():
        errors["organiser"] = [_("主催を入力してください。")]
    _raise_if(errors)
    refuse_duplicate(events.filter(created_by=user, **asdict(data)), allow=allow_duplicate)
    event, created = create_once(
        events,
        submission_token,
        prefecture_code=data.jurisdiction.prefecture_code if data.jurisdiction else prefecture_code,
        created_by=user,
        **asdict(data),
    )
    if not created:
        return event
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=event,
        changed_fields=[k for k, v in asdict(data).items() if v not in ("", None)],
    )
    return event


@transaction.atomic
def training_attendance_set(
    *,
    user: User,
    event: TrainingEvent,
    municipality: Municipality | None,
    agency: str,
    attendees: int,
    request: HttpRequest | None = None,
) -> TrainingAttendance:
    """How many came from one municipality and agency (a second entry for the same pair
    replaces the number: one row per pair, never two)."""
    _require_jurisdiction(user, event.jurisdiction)
    errors: dict[str, list[str]] = {}
    if not agency.strip():
        errors["agency"] = [_("所属機関を入力してください。")]
    if attendees < 1:
        errors["attendees"] = [_("参加人数は1人以上で入力してください。")]
    if municipality is not None and municipality.prefecture_code != event.prefecture_code:
        errors["municipality"] = [_("研修と同じ都道府県の市町村を選んでください。")]
    _raise_if(errors)
    row, created = TrainingAttendance.objects.update_or_create(
        event=event,
        municipality=municipality,
        agency=agency.strip(),
        defaults={"attendees": attendees},
    )
    audit_record(
        action=Action.CREATE if created else Action.UPDATE,
        request=request,
        user=user,
        obj=row,
        municipality_id=municipality.pk if municipality else None,
        changed_fields=["attendees"] if not created else ["municipality", "agency", "attendees"],
    )
    return row


@dataclass(frozen=True)
class PublicityInput:
    kind: str
    title: str
    done_on: dt.date
    where: str
    quantity: int | None = None
    municipality: Municipality | None = None


@transaction.atomic
def publicity_action_create(
    *,
    user: User,
    prefecture_code: str,
    data: PublicityInput,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> PublicityAction:
    """Record a publicity action. The same form twice gives the first one back; the same
    action again within the window is refused unless `allow_duplicate`
    (core/resubmission.py)."""
    if programme_jurisdictions(user) is None:
        raise PermissionDenied
    if data.municipality is not None:
        allowed = programme_jurisdictions(user)
        assert allowed is not None
        if not allowed.filter(pk=data.municipality.jurisdiction_id).exists():
            raise PermissionDenied
    elif user.role not in ("center", "admin"):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if data.kind not in PublicityAction.Kind.values:
        errors["kind"] = [_("種別を選んでください。")]
    if not data.title.strip():
        errors["title"] = [_("名称を入力してください。")]
    if not data.where.strip():
        errors["where"] = [_("配布・掲載先を入力してください。")]
    if data.done_on is not None and data.done_on > timezone.localdate():
        errors["done_on"] = [_("未来の日付は入力できません。")]
    actions = PublicityAction.objects.filter(
        prefecture_code=data.municipality.prefecture_code if data.municipality else prefecture_code
    )
    if first := first_submission(actions, submission_token):
        return first
    _raise_if(errors)
    refuse_duplicate(actions.filter(created_by=user, **asdict(data)), allow=allow_duplicate)
    action, created = create_once(
        actions,
        submission_token,
        prefecture_code=(
            data.municipality.prefecture_code if data.municipality else prefecture_code
        ),
        created_by=user,
        **asdict(data),
    )
    if not created:
        return action
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=action,
        changed_fields=[k for k, v in asdict(data).items() if v not in ("", None)],
    )
    return action
