"""Case meetings (personal scope) and the municipality overview (aggregate scope)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import scope
from accounts.access import (
    deny,
    personal_data_view,
    prefecture_editor_view,
    prefecture_view,
)
from accounts.types import AuthenticatedHttpRequest
from audit.services import Action, audit_record
from core.concurrency import SavedVersion
from core.fiscal import current_fiscal_year, fiscal_year_label
from core.forms import model_choice_field
from core.models import Municipality
from core.printing import audit_print
from core.saving import submit
from platforms import selectors, services
from platforms.forms import (
    CaseMeetingForm,
    FollowUpActionForm,
    MeetingFilter,
    MunicipalityStepForm,
    MunicipalStatusForm,
    OverviewFilterForm,
    PlatformForm,
)
from platforms.models import CaseMeeting, MunicipalStatus

MEETINGS_PER_PAGE = 30


# --- Case meetings ---------------------------------------------------------------------------


def _searching_cases(request: HttpRequest) -> bool:
    """The case picker's search button: the form comes back as filled in, nothing is saved."""
    return request.method == "POST" and "case_search" in request.POST


def _case_query(request: HttpRequest) -> str:
    return (request.POST if request.method == "POST" else request.GET).get("case_q", "")


def _posted(request: HttpRequest) -> dict[str, Any]:
    """The meeting form's fields as typed, to show them again without validating them."""
    multi = ("cases", "agencies")
    return {
        name: request.POST.getlist(name) if name in multi else request.POST.get(name, "")
        for name in CaseMeetingForm.base_fields
        if name in request.POST or name in multi
    }


@personal_data_view
def meeting_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    meetings = MeetingFilter(
        request.GET or None,
        queryset=selectors.meeting_list_queryset(request.user),
        request=request,
    )
    page = Paginator(meetings.qs, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    audit_record(
        action=Action.LIST,
        request=request,
        object_type="platforms.casemeeting",
        filters=meetings.audit_filters(),
        row_count=page.paginator.count,
    )
    return render(
        request,
        "platforms/meeting_list.html",
        {"filter": meetings, "page": page, "meetings": page.object_list},
    )


@personal_data_view
def meeting_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Two steps without JavaScript: the municipality first, then the meeting with its cases."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    step = MunicipalityStepForm(source if "municipality" in source else None, user=user)
    if not step.is_bound:
        scope_choices = model_choice_field(step, "municipality").queryset
        assert scope_choices is not None  # set by the form
        only = list(scope_choices[:2])
        if len(only) == 1:
            return redirect(f"{reverse('platforms:meeting_create')}?municipality={only[0].pk}")
    if not step.is_valid():
        return render(request, "platforms/meeting_step.html", {"step": step})
    municipality: Municipality = step.cleaned_data["municipality"]
    if _searching_cases(request):
        form = CaseMeetingForm(user=user, municipality=municipality, initial=_posted(request))
    else:
        form = CaseMeetingForm(
            request.POST if request.method == "POST" else None,
            user=user,
            municipality=municipality,
            initial={"held_on": timezone.localdate()},
        )
    if request.method == "POST" and not _searching_cases(request) and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.meeting_create(
                user=user,
                municipality=municipality,
                **form.meeting_input(),
                request=request,
                **form.submission(),
            ),
            success=_("ケース会議を登録しました。"),
        )
        if saved:
            return saved
    return render(
        request,
        "platforms/meeting_form.html",
        {
            "form": form,
            "municipality": municipality,
            "meeting": None,
            "picker": form.case_picker(_case_query(request)),
        },
    )


def _render_meeting(
    request: HttpRequest, meeting: CaseMeeting, action_form: Form, status: int = 200
) -> HttpResponse:
    from casework.selectors import meeting_casework  # casework builds on platforms

    data = selectors.meeting_page_data(meeting)
    # Reaching this page already implies personal scope; ask again for the minutes anyway,
    # so that widening who sees the page can never widen who reads the minutes.
    show_minutes = scope.can_see_municipality(request.user, meeting.municipality_id)
    audit_record(action=Action.VIEW, request=request, obj=meeting)
    response = render(
        request,
        "platforms/meeting_detail.html",
        {
            "meeting": meeting,
            "cases": [(case, case.get_absolute_url()) for case in data["cases"]],
            "agencies": data["agencies"],
            "actions": data["actions"],
            "show_minutes": show_minutes,
            "action_form": action_form,
            "today": timezone.localdate(),
            "cw": meeting_casework(meeting),
        },
        status=status,
    )
    return response


@personal_data_view
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk, request=request)
    return _render_meeting(request, meeting, FollowUpActionForm(municipality=meeting.municipality))


@personal_data_view
def meeting_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The meeting handout: cases, participants, decisions, actions. The confidential minutes
    only when asked for (`?minutes=1`), marked 秘, and audited as such."""
    meeting = selectors.get_meeting_for_user(request.user, pk, request=request)
    data = selectors.meeting_page_data(meeting)
    with_minutes = request.GET.get("minutes") == "1" and scope.can_see_municipality(
        request.user, meeting.municipality_id
    )
    audit_print(request, obj=meeting, layout="meeting_handout", options={"minutes": with_minutes})
    return render(
        request,
        "print/meeting_handout.html",
        {**data, "meeting": meeting, "with_minutes": with_minutes, "printed_at": timezone.now()},
    )


@personal_data_view
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk, request=request)
    form = CaseMeetingForm(
        None if _searching_cases(request) or request.method != "POST" else request.POST,
        user=request.user,
        municipality=meeting.municipality,
        meeting=meeting,
        **({"initial": _posted(request)} if _searching_cases(request) else {}),
    )

    def latest() -> SavedVersion:
        # The minutes as saved now are shown beside the user's: a read like the meeting page.
        fresh = selectors.get_meeting_for_user(request.user, pk, request=request)
        audit_record(action=Action.VIEW, request=request, obj=fresh)
        return SavedVersion.of_form(
            CaseMeetingForm(user=request.user, municipality=meeting.municipality, meeting=fresh)
        )

    if (
        request.method == "POST"
        and not _searching_cases(request)
        and form.is_valid()
        and (
            saved := submit(
                request,
                form,
                lambda: services.meeting_update(
                    user=request.user,
                    meeting=meeting,
                    version=form.cleaned_data["version"] or 0,
                    **form.meeting_input(),
                    request=request,
                ),
                success=_("ケース会議を更新しました。"),
                to=meeting,
                latest=latest,
            )
        )
    ):
        return saved
    if request.method != "POST":
        # The form shows the confidential minutes: a read like the meeting page.
        audit_record(action=Action.VIEW, request=request, obj=meeting)
    return render(
        request,
        "platforms/meeting_form.html",
        {
            "form": form,
            "municipality": meeting.municipality,
            "meeting": meeting,
            "picker": form.case_picker(_case_query(request)),
        },
    )


@personal_data_view
@require_POST
def action_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk, request=request)
    form = FollowUpActionForm(request.POST, municipality=meeting.municipality)
    if form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.follow_up_action_create(
                user=request.user,
                meeting=meeting,
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
                **form.submission(),
                request=request,
            ),
            success=_("フォローアップを追加しました。"),
            to=f"{meeting.get_absolute_url()}#actions",
        )
        if saved:
            return saved
    return _render_meeting(request, meeting, form, status=400)


@personal_data_view
@require_POST
def action_complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    action = selectors.get_action_for_user(request.user, pk, request=request)
    try:
        services.follow_up_action_complete(user=request.user, action=action, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("フォローアップを完了にしました。"))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(f"{reverse('platforms:meeting_detail', args=[action.meeting_id])}#actions")


# --- Municipality overview and status -------------------------------------------------------


@prefecture_view
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Counts per municipality for prefecture staff, the centre and admins. No case data."""
    form = OverviewFilterForm(request.GET or None, user=request.user)
    fy, jurisdiction, sort = current_fiscal_year(), None, "unmet"
    if form.is_bound and form.is_valid():
        fy = form.cleaned_data["fy"] or fy
        jurisdiction = form.cleaned_data["jurisdiction"]
        sort = form.cleaned_data["sort"] or sort
    if not form.is_bound:
        form = OverviewFilterForm(initial={"fy": fy, "sort": sort}, user=request.user)
    rows = selectors.municipality_overview(
        request.user, fy=fy, jurisdiction=jurisdiction, sort=sort
    )
    audit_record(
        action=Action.LIST,
        request=request,
        object_type="core.municipality",
        filters={"fy": fy, "jurisdiction": jurisdiction.pk if jurisdiction else None},
        row_count=len(rows),
    )
    return render(
        request,
        "platforms/overview.html",
        {
            "form": form,
            "rows": rows,
            "summary": selectors.overview_summary(rows),
            "fy": fy,
            "fy_label": fiscal_year_label(fy),
            "is_current_fy": fy == current_fiscal_year(),
        },
    )


def _municipality_for(request: HttpRequest, code: str) -> Municipality:
    municipality = (
        scope.aggregate_municipalities(request.user)
        .select_related("jurisdiction")
        .filter(code=code)
        .first()
    )
    if municipality is None:
        raise deny(request, object_type="core.municipality", object_id=code)
    return municipality


@prefecture_view
def municipality_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    municipality = _municipality_for(request, code)
    audit_record(
        action=Action.VIEW, request=request, obj=municipality, municipality_id=municipality.pk
    )
    return render(
        request,
        "platforms/municipality_detail.html",
        {
            "municipality": municipality,
            "platform": selectors.get_platform(municipality),
            "years": selectors.municipality_years(municipality),
            "can_edit": selectors.can_edit_municipal_status(request.user),
        },
    )


@prefecture_editor_view
def platform_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    municipality = _municipality_for(request, code)
    platform = selectors.get_platform(municipality)
    form = PlatformForm(
        request.POST if request.method == "POST" else None,
        municipality=municipality,
        platform=platform,
    )
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.platform_update(
                user=request.user, municipality=municipality, request=request, **form.cleaned_data
            ),
            success=_("プラットフォームの情報を保存しました。"),
            to=reverse("platforms:municipality_detail", kwargs={"code": municipality.code}),
        )
        if saved:
            return saved
    return render(
        request,
        "platforms/platform_form.html",
        {"form": form, "municipality": municipality, "platform": platform},
    )


@prefecture_editor_view
def status_edit(request: AuthenticatedHttpRequest, code: str, fy: int) -> HttpResponse:
    municipality = _municipality_for(request, code)
    if fy not in dict(selectors.fiscal_year_choices()):
        raise Http404
    status = MunicipalStatus.objects.filter(municipality=municipality, fiscal_year=fy).first()
    form = MunicipalStatusForm(request.POST if request.method == "POST" else None, status=status)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.municipal_status_update(
                user=request.user,
                municipality=municipality,
                fiscal_year=fy,
                request=request,
                **form.cleaned_data,
            ),
            success=_("%(fy)sの取組状況を保存しました。") % {"fy": fiscal_year_label(fy)},
            to=reverse("platforms:municipality_detail", kwargs={"code": municipality.code}),
        )
        if saved:
            return saved
    return render(
        request,
        "platforms/status_form.html",
        {"form": form, "municipality": municipality, "fy": fy, "fy_label": fiscal_year_label(fy)},
    )
