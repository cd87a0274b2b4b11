"""The programme's pages. Register entries and supervision are personal data (the scoped
helpers 404 outside the user's scope; prefecture staff get 403); training, publicity and the
support periods of places name nobody."""

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import scope
from accounts.access import forbid, login_view, personal_data_view
from accounts.types import AuthenticatedHttpRequest, User
from audit.services import Action, audit_record
from cases.forms import IntakeForm
from cases.models import Case
from cases.selectors import get_case_for_user
from core.models import Municipality
from core.saving import submit
from platforms.selectors import get_meeting_for_user
from programme import selectors, services
from programme.forms import (
    AttendanceForm,
    EntryCloseForm,
    EntryForm,
    OutreachForm,
    PrefectureRecordForm,
    PublicityForm,
    SupervisionAcceptForm,
    SupervisionCloseForm,
    SupervisionGiveForm,
    SupervisionRequestForm,
    TrainingEventForm,
    set_queryset,
)
from programme.models import PlaceSupport, SupervisionRequest, SurveyEntry, TrainingEvent

PER_PAGE = 30


def _page(request: AuthenticatedHttpRequest, qs: Any) -> Any:
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _audited_page(
    request: AuthenticatedHttpRequest, qs: Any, *, object_type: str, filters: dict[str, str]
) -> Any:
    """A page of personal rows (register entries, supervision requests), its reading audited
    as a LIST with the filters and the number of rows."""
    page = _page(request, qs)
    audit_record(
        action=Action.LIST,
        request=request,
        object_type=object_type,
        filters=filters,
        row_count=page.paginator.count,
    )
    return page


def _posted(request: AuthenticatedHttpRequest) -> Any:
    """The form's data on a POST, None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


# --- Register entries ----------------------------------------------------------------------


@personal_data_view
def entry_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = selectors.entry_list_queryset(request.user).order_by("-reported_on", "-id")
    show = request.GET.get("show", "open")
    if show == "open":
        qs = qs.filter(case__isnull=True, closed_on__isnull=True)
    elif show == "due":
        qs = qs.filter(
            case__isnull=True, closed_on__isnull=True, next_outreach_on__lte=timezone.localdate()
        ).order_by("next_outreach_on", "id")
    else:
        show = "all"
    page = _audited_page(request, qs, object_type="programme.surveyentry", filters={"show": show})
    return render(
        request,
        "programme/entry_list.html",
        {"page": page, "entries": page.object_list, "show": show, "today": timezone.localdate()},
    )


@personal_data_view
def entry_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EntryForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.survey_entry_create(
                user=request.user,
                municipality=form.cleaned_data["municipality"],
                data=form.entry_input(),
                **form.submission(),
                request=request,
            ),
            success=_("実態把握名簿に登録しました。"),
        )
        if saved:
            return saved
    return render(request, "programme/entry_form.html", {"form": form})


def _render_entry(
    request: AuthenticatedHttpRequest,
    entry: SurveyEntry,
    outreach_form: OutreachForm | None = None,
    close_form: EntryCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    audit_record(action=Action.VIEW, request=request, obj=entry)
    return render(
        request,
        "programme/entry_detail.html",
        {
            "entry": entry,
            "outreach_form": outreach_form or OutreachForm(entry=entry),
            "close_form": close_form or EntryCloseForm(initial={"closed_on": timezone.localdate()}),
        },
        status=status,
    )


@personal_data_view
def entry_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_entry_for_user(request.user, pk, request=request)
    return _render_entry(request, entry)


@personal_data_view
@require_POST
def outreach_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_entry_for_user(request.user, pk, request=request)
    form = OutreachForm(request.POST, entry=entry)
    if form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.outreach_record(
                user=request.user,
                entry=entry,
                data=form.outreach_input(),
                **form.submission(),
                request=request,
            ),
            success=_("アウトリーチを記録しました。"),
            to=entry,
        )
        if saved:
            return saved
    return _render_entry(request, entry, outreach_form=form, status=400)


@personal_data_view
@require_POST
def entry_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = selectors.get_entry_for_user(request.user, pk, request=request)
    form = EntryCloseForm(request.POST)
    if form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.survey_entry_close(
                user=request.user,
                entry=entry,
                closed_on=form.cleaned_data["closed_on"],
                reason=form.cleaned_data["reason"],
                request=request,
            ),
            success=_("この名簿の対応を終了しました。"),
            to=entry,
        )
        if saved:
            return saved
    return _render_entry(request, entry, close_form=form, status=400)


def _household_notes(entry: SurveyEntry) -> str:
    parts = [entry.get_household_display()] if entry.household != "unknown" else []
    if entry.agency_involved:
        parts.append(_("関わっている機関：%(agency)s") % {"agency": entry.agency_note or "—"})
    return "。".join(parts)


@personal_data_view
def entry_open_case(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Open a case from the entry: the intake form, prefilled from what the register knows."""
    user = request.user
    entry = selectors.get_entry_for_user(user, pk, request=request)
    if entry.case is not None:
        messages.info(request, _("この名簿はすでに相談ケースにつながっています。"))
        return redirect(entry.case)
    initial = {
        "municipality": entry.municipality_id,
        "intake_route": services.ROUTE_FROM_REPORTER.get(entry.reporter, Case.Route.OTHER),
        "name": entry.name,
        "person_age_band": entry.age_band,
        "age_band_at_intake": entry.age_band,
        "withdrawal_duration": entry.withdrawal_duration,
        "household_notes": _household_notes(entry),
        "notes": entry.notes,
        "submission_token": uuid.uuid4(),
    }
    form = IntakeForm(_posted(request), user=user, initial=initial)
    set_queryset(form, "municipality", Municipality.objects.filter(pk=entry.municipality_id))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        saved = submit(
            request,
            form,
            lambda: services.survey_entry_open_case(
                user=user,
                entry=entry,
                intake_date=d["intake_date"],
                intake_route=d["intake_route"],
                visitor=d["visitor"],
                consultation=form.consultation_input(),
                submission_token=d["submission_token"],
                person=form.person_input(),
                withdrawal_duration=d["withdrawal_duration"],
                age_band_at_intake=d["age_band_at_intake"],
                issue_tags=d["issue_tags"],
                household_notes=d["household_notes"],
                assigned_counselor=d.get("assigned_counselor"),
                request=request,
            ),
            success=lambda case: (
                _("名簿から相談ケース %(number)s を作成しました。") % {"number": case.number}
            ),
        )
        if saved:
            return saved
    return render(request, "programme/entry_case_form.html", {"form": form, "entry": entry})


# --- Supervision ---------------------------------------------------------------------------


@personal_data_view
def supervision_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = selectors.supervision_list_queryset(request.user)
    status = request.GET.get("status", "")
    if status in SupervisionRequest.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = _audited_page(
        request,
        qs,
        object_type="programme.supervisionrequest",
        filters={"status": status} if status else {},
    )
    return render(
        request,
        "programme/supervision_list.html",
        {
            "page": page,
            "items": page.object_list,
            "status": status,
            "statuses": SupervisionRequest.Status.choices,
        },
    )


def _supervision_create(
    request: AuthenticatedHttpRequest, *, meeting: Any = None, case: Any = None
) -> HttpResponse:
    """The request form, for a meeting or for a case (the two URLs below)."""
    form = SupervisionRequestForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.supervision_request(
                user=request.user,
                meeting=meeting,
                case=case,
                requested_on=form.cleaned_data["requested_on"],
                question=form.cleaned_data["question"],
                **form.submission(),
                request=request,
            ),
            success=_("スーパーバイズを依頼しました。"),
        )
        if saved:
            return saved
    return render(
        request,
        "programme/supervision_request_form.html",
        {"form": form, "meeting": meeting, "case": case},
    )


@personal_data_view
def supervision_create_for_meeting(
    request: AuthenticatedHttpRequest, meeting_pk: int
) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, meeting_pk, request=request)
    return _supervision_create(request, meeting=meeting)


@personal_data_view
def supervision_create_for_case(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, case_pk, request=request)
    return _supervision_create(request, case=case)


def _require_supervisor(request: AuthenticatedHttpRequest, item: SupervisionRequest) -> None:
    """Accepting, answering and declining: the centre, admins or the area's 福祉保健所."""
    if not selectors.can_supervise(request.user, item.municipality_id):
        raise forbid(
            request,
            object_type="programme.supervisionrequest",
            object_id=item.pk,
            reason="not a supervisor of this municipality",
        )


def _render_supervision(
    request: AuthenticatedHttpRequest, item: SupervisionRequest, *, status: int = 200, **forms: Any
) -> HttpResponse:
    audit_record(action=Action.VIEW, request=request, obj=item)
    supervisor = selectors.can_supervise(request.user, item.municipality_id)
    context = {
        "item": item,
        "supervisor": supervisor,
        "accept_form": forms.get("accept_form") or SupervisionAcceptForm(item=item),
        "give_form": forms.get("give_form") or SupervisionGiveForm(item=item),
        "close_form": forms.get("close_form")
        or SupervisionCloseForm(initial={"version": item.version}),
    }
    return render(request, "programme/supervision_detail.html", context, status=status)


@personal_data_view
def supervision_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_supervision_for_user(request.user, pk, request=request)
    return _render_supervision(request, item)


@personal_data_view
@require_POST
def supervision_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_supervision_for_user(request.user, pk, request=request)
    _require_supervisor(request, item)
    form = SupervisionAcceptForm(request.POST, item=item)
    if form.is_valid():
        d = form.cleaned_data
        saved = submit(
            request,
            form,
            lambda: services.supervision_accept(
                user=request.user,
                item=item,
                accepted_on=d["accepted_on"],
                body=d["body"],
                supervisor_name=d["supervisor_name"],
                jurisdiction=d.get("jurisdiction"),
                version=d["version"],
                request=request,
            ),
            success=_("スーパーバイズを受諾しました。"),
            to=item,
        )
        if saved:
            return saved
    return _render_supervision(request, item, accept_form=form, status=400)


@personal_data_view
@require_POST
def supervision_give(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_supervision_for_user(request.user, pk, request=request)
    _require_supervisor(request, item)
    form = SupervisionGiveForm(request.POST, item=item)
    if form.is_valid():
        d = form.cleaned_data
        saved = submit(
            request,
            form,
            lambda: services.supervision_give(
                user=request.user,
                item=item,
                given_on=d["given_on"],
                advice=d["advice"],
                version=d["version"],
                request=request,
            ),
            success=_("スーパーバイズの実施を記録しました。"),
            to=item,
        )
        if saved:
            return saved
    return _render_supervision(request, item, give_form=form, status=400)


@personal_data_view
@require_POST
def supervision_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_supervision_for_user(request.user, pk, request=request)
    form = SupervisionCloseForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        if d["to"] == SupervisionRequest.Status.DECLINED:
            _require_supervisor(request, item)
        saved = submit(
            request,
            form,
            lambda: services.supervision_close(
                user=request.user,
                item=item,
                to=d["to"],
                reason=d["reason"],
                version=d["version"],
                request=request,
            ),
            success=_("スーパーバイズの依頼を終了しました。"),
            to=item,
        )
        if saved:
            return saved
    return _render_supervision(request, item, close_form=form, status=400)


# --- Training, publicity, supported places (no personal data) ------------------------------


def _require_recorder(request: AuthenticatedHttpRequest, object_type: str) -> Any:
    """Where the user may record training and publicity; others get an audited 403."""
    jurisdictions = selectors.programme_jurisdictions(request.user)
    if jurisdictions is None:
        raise forbid(request, object_type=object_type, reason="no programme rights")
    return jurisdictions


def _programme_list(
    request: AuthenticatedHttpRequest, qs: Any, template: str, *, rows: str, tab: str
) -> HttpResponse:
    """A page of training events or publicity actions (no personal data), with the
    「登録」 button for those who may record them: `template` extends
    programme/_record_list.html. `rows` names the page's rows for the template (`events`,
    `actions`), `tab` the programme tab it is on (programme/_tabs.html)."""
    page = _page(request, qs)
    return render(
        request,
        template,
        {
            "page": page,
            rows: page.object_list,
            "tab": tab,
            "can_record": selectors.can_record_programme(request.user),
            "user_can_personal": scope.can_see_personal_data(request.user),
        },
    )


def _record_create(
    request: AuthenticatedHttpRequest,
    *,
    form_class: type[PrefectureRecordForm],
    object_type: str,
    template: str,
    create: Callable[[Any], Any],
    success: str,
    to: Any = None,
) -> HttpResponse:
    """The create page of a training event or a publicity action (no personal data).

    Only those with programme rights open it (others: an audited 403); the form offers the
    jurisdictions they record for; `create(form)` is the service call. A prefecture-wide
    record is the centre's and admins' alone: the service's PermissionDenied is shown on the
    form's area field with its `wide_refusal` message.
    """
    jurisdictions = _require_recorder(request, object_type)
    form = form_class(_posted(request), jurisdictions=jurisdictions)
    if request.method == "POST" and form.is_valid():

        def save() -> Any:
            try:
                return create(form)
            except PermissionDenied as refused:
                raise ValidationError({form.area_field: form.wide_refusal}) from refused

        saved = submit(request, form, save, success=success, to=to)
        if saved:
            return saved
    return render(request, template, {"form": form})


@login_view
def training_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _programme_list(
        request, selectors.training_list_queryset(request.user), "programme/training_list.html",
        rows="events", tab="training",
    )  # fmt: skip


@login_view
def training_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _record_create(
        request,
        form_class=TrainingEventForm,
        object_type="programme.trainingevent",
        template="programme/training_form.html",
        create=lambda form: services.training_event_create(
            user=request.user,
            prefecture_code=selectors.user_prefecture_code(request.user),
            data=form.training_input(),
            **form.submission(),
            request=request,
        ),
        success=_("研修を登録しました。"),
    )


def _training_event(user: User, pk: int) -> TrainingEvent:
    qs = TrainingEvent.objects.select_related("jurisdiction")
    if user.prefecture_code:
        qs = qs.filter(prefecture_code=user.prefecture_code)
    return get_object_or_404(qs, pk=pk)


@login_view
def training_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _training_page(request, pk)


def _training_page(
    request: AuthenticatedHttpRequest, pk: int, form: AttendanceForm | None = None
) -> HttpResponse:
    event = _training_event(request.user, pk)
    rows = list(event.attendance.select_related("municipality").order_by("municipality__code"))
    jurisdictions = selectors.programme_jurisdictions(request.user)
    if jurisdictions is None:
        can_record = False
    elif event.jurisdiction_id is None:
        can_record = request.user.role in ("center", "admin")
    else:
        can_record = jurisdictions.filter(pk=event.jurisdiction_id).exists()
    return render(
        request,
        "programme/training_detail.html",
        {
            "event": event,
            "rows": rows,
            "total": sum(r.attendees for r in rows),
            "form": form or AttendanceForm(event=event),
            "can_record": can_record,
        },
        status=400 if form is not None else 200,
    )


@login_view
@require_POST
def attendance_set(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    event = _training_event(request.user, pk)
    _require_recorder(request, "programme.trainingattendance")
    form = AttendanceForm(request.POST, event=event)
    if form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.training_attendance_set(
                user=request.user,
                event=event,
                municipality=form.cleaned_data["municipality"],
                agency=form.cleaned_data["agency"],
                attendees=form.cleaned_data["attendees"],
                request=request,
            ),
            success=_("参加者数を記録しました。"),
            to=event,
        )
        if saved:
            return saved
    return _training_page(request, pk, form=form)


@login_view
def publicity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _programme_list(
        request, selectors.publicity_list_queryset(request.user),
        "programme/publicity_list.html", rows="actions", tab="publicity",
    )  # fmt: skip


@login_view
def publicity_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _record_create(
        request,
        form_class=PublicityForm,
        object_type="programme.publicityaction",
        template="programme/publicity_form.html",
        create=lambda form: services.publicity_action_create(
            user=request.user,
            prefecture_code=selectors.user_prefecture_code(request.user),
            data=form.publicity_input(),
            **form.submission(),
            request=request,
        ),
        success=_("広報を登録しました。"),
        to="programme:publicity_list",
    )


@login_view
def support_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The places the prefecture supports, with their periods (edited in the admin)."""
    qs = PlaceSupport.objects.select_related("resource__kind", "resource__municipality").order_by(
        "resource__kind__sort_order", "resource__name", "starts_on"
    )
    if request.user.prefecture_code:
        qs = qs.filter(resource__prefecture_code=request.user.prefecture_code)
    return render(
        request,
        "programme/support_list.html",
        {"periods": list(qs), "user_can_personal": scope.can_see_personal_data(request.user)},
    )
