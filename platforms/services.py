"""Writes for platforms, municipal status, case meetings and their follow-up actions.

Every function checks who may write, validates, writes and records the audit row in one
transaction. Validation errors are `ValidationError`s keyed by form field, so a view can put
each message next to its field; nothing is saved when one is raised.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scope
from accounts.models import User
from audit.services import Action, audit_record, changed_field_names
from cases.models import Case
from core.concurrency import StaleEdit, update_with_version_or_raise
from core.fiscal import fiscal_year_label, fiscal_year_range
from core.models import Municipality
from core.resubmission import create_once, first_submission, refuse_duplicate
from kpi import aggregates
from platforms.models import Agency, CaseMeeting, FollowUpAction, MunicipalStatus, Platform
from platforms.selectors import can_edit_municipal_status

MEETING_FIELDS = ("held_on", "kind", "supervision", "decisions", "minutes")
PLATFORM_FIELDS = ("status", "established_on", "coordinator_id", "notes")
STATUS_FIELDS = ("needs_assessed_on", "jusoteki")


def _require_personal_scope(user: User, municipality_id: int) -> None:
    if not scope.can_see_municipality(user, municipality_id):
        raise PermissionDenied


def _require_status_editor(user: User, municipality: Municipality) -> None:
    if not can_edit_municipal_status(user):
        raise PermissionDenied
    _require_personal_scope(user, municipality.pk)


def _validate_meeting(
    *, municipality: Municipality, held_on: dt.date, cases: list[Case], agencies: list[Agency]
) -> None:
    errors: dict[str, str] = {}
    if held_on > timezone.localdate():
        errors["held_on"] = _("開催日に未来の日付は入力できません。開催後に記録してください。")
    if any(case.municipality_id != municipality.pk for case in cases):
        # A meeting shares information among one municipality's agencies only.
        errors["cases"] = _(
            "他の市町村のケースは検討できません。この市町村のケースだけを選んでください。"
        )
    if not all(_agency_allowed(agency, municipality) for agency in agencies):
        errors["agencies"] = _("この市町村か県全域の関係機関だけを選んでください。")
    if errors:
        raise ValidationError(errors)


def _agency_allowed(agency: Agency, municipality: Municipality) -> bool:
    return agency.prefecture_code == municipality.prefecture_code and agency.municipality_id in (
        None,
        municipality.pk,
    )


@transaction.atomic
@aggregates.maintained
def meeting_create(
    *,
    user: User,
    municipality: Municipality,
    held_on: dt.date,
    kind: str,
    supervision: str = CaseMeeting.Supervision.NONE,
    cases: Iterable[Case] = (),
    agencies: Iterable[Agency] = (),
    decisions: str = "",
    minutes: str = "",
    request: HttpRequest | None = None,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
) -> CaseMeeting:
    """Record a case meeting. The same form sent twice gets the first meeting back; the same
    meeting recorded again within the window needs `allow_duplicate` (core/resubmission.py)."""
    _require_personal_scope(user, municipality.pk)
    meetings = CaseMeeting.objects.filter(municipality=municipality)
    if first := first_submission(meetings, submission_token):
        return first
    cases, agencies = list(cases), list(agencies)
    _validate_meeting(municipality=municipality, held_on=held_on, cases=cases, agencies=agencies)
    fields = {
        "held_on": held_on,
        "kind": kind,
        "supervision": supervision,
        "decisions": decisions,
        "minutes": minutes,
    }
    refuse_duplicate(meetings.filter(created_by=user, **fields), allow=allow_duplicate)
    aggregates.track(municipalities=[municipality.pk])
    meeting, created = create_once(
        meetings, submission_token, municipality=municipality, created_by=user, **fields
    )
    if not created:
        return meeting
    meeting.cases.set(cases)
    meeting.agencies.set(agencies)
    values = {
        "municipality": municipality.pk,
        "held_on": held_on,
        "kind": kind,
        "supervision": supervision,
        "decisions": decisions,
        "minutes": minutes,
        "cases": cases,
        "agencies": agencies,
    }
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=meeting,
        changed_fields=[name for name, value in values.items() if value],
    )
    return meeting


@transaction.atomic
@aggregates.maintained
def meeting_update(
    *,
    user: User,
    meeting: CaseMeeting,
    version: int,
    held_on: dt.date,
    kind: str,
    supervision: str,
    cases: Iterable[Case],
    agencies: Iterable[Agency],
    decisions: str,
    minutes: str,
    request: HttpRequest | None = None,
) -> CaseMeeting:
    """Update a meeting the user edited from `version`; refuse if someone saved in between."""
    _require_personal_scope(user, meeting.municipality_id)
    cases, agencies = list(cases), list(agencies)
    _validate_meeting(
        municipality=meeting.municipality, held_on=held_on, cases=cases, agencies=agencies
    )
    after: dict[str, Any] = {
        "held_on": held_on,
        "kind": kind,
        "supervision": supervision,
        "decisions": decisions,
        "minutes": minutes,
    }
    before = {name: getattr(meeting, name) for name in MEETING_FIELDS}
    before["cases"] = set(meeting.cases.values_list("pk", flat=True))
    before["agencies"] = set(meeting.agencies.values_list("pk", flat=True))
    after["cases"] = {case.pk for case in cases}
    after["agencies"] = {agency.pk for agency in agencies}
    aggregates.track(municipalities=[meeting.municipality_id])
    update_with_version_or_raise(
        CaseMeeting,
        pk=meeting.pk,
        version=version,
        **{name: after[name] for name in MEETING_FIELDS},
    )
    changed = changed_field_names(before, after)
    if "cases" in changed:
        meeting.cases.set(cases)
    if "agencies" in changed:
        meeting.agencies.set(agencies)
    audit_record(
        action=Action.UPDATE, request=request, user=user, obj=meeting, changed_fields=changed
    )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def follow_up_action_create(
    *,
    user: User,
    meeting: CaseMeeting,
    description: str,
    owner: User | None = None,
    due_on: dt.date | None = None,
    submission_token: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    request: HttpRequest | None = None,
) -> FollowUpAction:
    """A follow-up on a meeting. The same form twice gives the first one back; the same open
    follow-up (text, owner, due date) on the meeting again is refused unless
    `allow_duplicate` (core/resubmission.py; follow-ups keep no creation time)."""
    _require_personal_scope(user, meeting.municipality_id)
    if first := first_submission(meeting.actions.all(), submission_token):
        return first
    errors: dict[str, str] = {}
    if not description.strip():
        errors["description"] = _("内容を入力してください。")
    if owner is not None and not scope.can_see_municipality(owner, meeting.municipality_id):
        errors["owner"] = _("担当者は、この市町村を担当している人から選んでください。")
    if due_on is not None and due_on < meeting.held_on:
        errors["due_on"] = _("期限は会議の開催日以降の日付にしてください。")
    if errors:
        raise ValidationError(errors)
    values = {"description": description.strip(), "owner": owner, "due_on": due_on}
    refuse_duplicate(
        meeting.actions.filter(done_on__isnull=True, **values),
        allow=allow_duplicate,
        recent=False,
    )
    action, created = create_once(
        meeting.actions.all(), submission_token, meeting=meeting, **values
    )
    if not created:
        return action
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=action,
        municipality_id=meeting.municipality_id,
        changed_fields=[
            name
            for name, value in {"description": 1, "owner": owner, "due_on": due_on}.items()
            if value
        ],
    )
    return action


@transaction.atomic
def follow_up_action_complete(
    *,
    user: User,
    action: FollowUpAction,
    done_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> FollowUpAction:
    municipality_id = action.meeting.municipality_id
    _require_personal_scope(user, municipality_id)
    today = timezone.localdate()
    done_on = done_on or today
    if done_on > today or done_on < action.meeting.held_on:
        raise ValidationError(
            {"done_on": _("完了日は会議の開催日から今日までの日付にしてください。")}
        )
    # Conditional update: two people pressing 完了 at once complete it once.
    updated = FollowUpAction.objects.filter(pk=action.pk, done_on__isnull=True).update(
        done_on=done_on
    )
    if updated == 0:
        raise ValidationError(_("このフォローアップはすでに完了しています。"))
    action.done_on = done_on
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=action,
        municipality_id=municipality_id,
        changed_fields=["done_on"],
    )
    return action


def _history(platform: Platform, after: dict[str, Any]) -> None:
    """The platform's history: leaving 設置済 records today as the day it stopped and keeps
    the established date (so past years still count it); establishing it again starts anew."""
    if after["status"] == Platform.Status.ESTABLISHED:
        after["dissolved_on"] = None
    elif platform.dissolved_on is not None:
        after["dissolved_on"] = platform.dissolved_on
        after["established_on"] = after["established_on"] or platform.established_on
    elif platform.status == Platform.Status.ESTABLISHED:
        after["dissolved_on"] = timezone.localdate()
        after["established_on"] = after["established_on"] or platform.established_on


@transaction.atomic
def platform_update(
    *,
    user: User,
    municipality: Municipality,
    version: int,
    status: str,
    established_on: dt.date | None,
    coordinator: Agency | None = None,
    members: Iterable[Agency] = (),
    notes: str = "",
    request: HttpRequest | None = None,
) -> Platform:
    """Create or update a municipality's platform. `version` 0 means "none existed yet"."""
    _require_status_editor(user, municipality)
    members = list(members)
    errors: dict[str, str] = {}
    if status == Platform.Status.ESTABLISHED and established_on is None:
        errors["established_on"] = _("設置済の場合は設置日を入力してください。")
    if established_on is not None and established_on > timezone.localdate():
        errors["established_on"] = _("設置日に未来の日付は入力できません。")
    if coordinator is not None and not _agency_allowed(coordinator, municipality):
        errors["coordinator"] = _("この市町村か県全域の関係機関だけを選んでください。")
    if not all(_agency_allowed(agency, municipality) for agency in members):
        errors["members"] = _("この市町村か県全域の関係機関だけを選んでください。")
    if errors:
        raise ValidationError(errors)
    after: dict[str, Any] = {
        "status": status,
        "established_on": established_on,
        "coordinator_id": coordinator.pk if coordinator else None,
        "notes": notes,
    }
    platform = Platform.objects.select_for_update().filter(municipality=municipality).first()
    if platform is not None:
        _history(platform, after)
    if platform is None:
        if version != 0:
            raise StaleEdit()
        platform = Platform.objects.create(municipality=municipality, **after)
        platform.members.set(members)
        changed = [name for name, value in after.items() if value] + (
            ["members"] if members else []
        )
        action = Action.CREATE
    else:
        before = {name: getattr(platform, name) for name in PLATFORM_FIELDS}
        before["members"] = set(platform.members.values_list("pk", flat=True))
        update_with_version_or_raise(Platform, pk=platform.pk, version=version, **after)
        changed = changed_field_names(before, {**after, "members": {a.pk for a in members}})
        if "members" in changed:
            platform.members.set(members)
        platform.refresh_from_db()
        action = Action.UPDATE
    audit_record(
        action=action,
        request=request,
        user=user,
        obj=platform,
        changed_fields=[name.removesuffix("_id") for name in changed],
    )
    return platform


@transaction.atomic
def municipal_status_update(
    *,
    user: User,
    municipality: Municipality,
    fiscal_year: int,
    version: int,
    needs_assessed_on: dt.date | None,
    jusoteki: bool,
    request: HttpRequest | None = None,
) -> MunicipalStatus:
    """One fiscal year's needs assessment and 重層的支援体制整備事業. `version` 0: a new row."""
    _require_status_editor(user, municipality)
    start, end = fiscal_year_range(fiscal_year)
    if needs_assessed_on is not None:
        if not start <= needs_assessed_on <= end:
            raise ValidationError(
                {
                    "needs_assessed_on": _(
                        "実態・ニーズ把握日は%(fy)sの期間内（%(start)s〜%(end)s）の日付にしてください。"
                    )
                    % {"fy": fiscal_year_label(fiscal_year), "start": start, "end": end}
                }
            )
        if needs_assessed_on > timezone.localdate():
            raise ValidationError(
                {"needs_assessed_on": _("実態・ニーズ把握日に未来の日付は入力できません。")}
            )
    after: dict[str, Any] = {"needs_assessed_on": needs_assessed_on, "jusoteki": jusoteki}
    status = (
        MunicipalStatus.objects.select_for_update()
        .filter(municipality=municipality, fiscal_year=fiscal_year)
        .first()
    )
    if status is None:
        if version != 0:
            raise StaleEdit()
        status = MunicipalStatus.objects.create(
            municipality=municipality, fiscal_year=fiscal_year, **after
        )
        changed = ["fiscal_year", *(name for name, value in after.items() if value)]
        action = Action.CREATE
    else:
        before = {name: getattr(status, name) for name in STATUS_FIELDS}
        update_with_version_or_raise(MunicipalStatus, pk=status.pk, version=version, **after)
        changed = changed_field_names(before, after)
        status.refresh_from_db()
        action = Action.UPDATE
    audit_record(action=action, request=request, user=user, obj=status, changed_fields=changed)
    return status
