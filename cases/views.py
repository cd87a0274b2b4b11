"""Case views: fetch through the scoped helper, validate a form, call a service, redirect.

Prefecture staff have no right to personal data at all: they get the standard 403 page on
every case view. Counselors asking for a case outside their scope get a 404 (no hint that the
case exists). Both refusals are audited.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import deny, personal_data_view
from accounts.scope import personal_municipality_ids
from accounts.types import AuthenticatedHttpRequest
from audit.services import Action, audit_record
from cases import printing, services
from cases.filters import SORT_FIELDS, CaseFilter
from cases.forms import (
    CaseEditForm,
    ConsultationForm,
    HouseholdMemberForm,
    IntakeForm,
    StatusChangeForm,
)
from cases.models import Case, Consultation, HouseholdMember, Person
from cases.selectors import case_list_rows, get_case_for_user, person_duplicates
from cases.timeline import case_timeline
from cases.voiding import void_page
from core.concurrency import SavedVersion
from core.links import UrlPattern
from core.printing import audit_print, render_sections
from core.saving import submit

PAGE_SIZE = 50


# --- List ----------------------------------------------------------------------------------


def _sort_links(request: HttpRequest, current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the URL that sorts by it (toggling) and its aria-sort."""
    params = request.GET.copy()
    params.pop("page", None)
    links = {}
    for name in SORT_FIELDS:
        if current == name:
            target, state = f"-{name}", "ascending"
        elif current == f"-{name}":
            target, state = name, "descending"
        else:
            target, state = name, ""
        params["o"] = target
        links[name] = {"url": "?" + params.urlencode(), "aria_sort": state}
    return links


@personal_data_view
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    # The scope as a list of ids (one small query, which also answers "more than one
    # municipality?"): PostgreSQL estimates a literal list, where the nested scope subquery
    # made it scan every case in the country (bench/, the case list measurement).
    scope_ids = personal_municipality_ids(user)
    base = (
        Case.objects.in_municipalities(scope_ids)
        .with_activity()
        .select_related("municipality", "person", "assigned_counselor")
    )
    case_filter = CaseFilter(request.GET or None, user=user, queryset=base)
    # One municipality in scope: its name in every row and a filter on it would be noise.
    show_municipality = len(scope_ids) > 1
    qs = case_filter.qs
    if not case_filter.is_bound or not case_filter.form.cleaned_data.get("o"):
        qs = qs.order_by("-intake_date", "-id")
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # The page's ids first (without the per-row activity subqueries), then those rows with
    # their activity and tags: a deep page no longer computes them for every skipped row.
    bottom = (page.number - 1) * PAGE_SIZE
    page_ids = list(qs.values_list("pk", flat=True)[bottom : bottom + PAGE_SIZE])
    page.object_list = case_list_rows(scope_ids, page_ids)
    audit_record(
        action=Action.LIST,
        request=request,
        object_type="cases.case",
        filters=case_filter.audit_filters(),
        row_count=paginator.count,
    )
    params = request.GET.copy()
    params.pop("page", None)
    ordering = request.GET.get("o", "")
    return render(
        request,
        "cases/list.html",
        {
            "filter": case_filter,
            "page": page,
            "sort": _sort_links(request, ordering),
            "page_query": params.urlencode(),
            "filtered": bool(case_filter.is_bound and case_filter.audit_filters()),
            "today": timezone.localdate(),
            "show_municipality": show_municipality,
            "case_urls": UrlPattern("cases:detail"),  # each row's link, one reverse()
        },
    )


# --- Intake --------------------------------------------------------------------------------


@personal_data_view
@require_http_methods(["GET", "POST"])
def case_intake(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "GET":
        return render(request, "cases/intake.html", {"form": IntakeForm(user=user)})

    form = IntakeForm(request.POST, user=user)
    if "back" in request.POST or not form.is_valid():
        # "back" from the duplicate step: the form again, as it was filled in.
        return render(request, "cases/intake.html", {"form": form})

    data = form.cleaned_data
    choice = data.get("person_choice") or ""
    person = None
    if not choice:
        duplicates = person_duplicates(
            user,
            municipality_id=data["municipality"].pk,
            kana=data["kana"],
            birth_year=data["birth_year"],
            name=data["name"],
        )
        if duplicates:
            return _render_duplicates(request, form, duplicates)
    elif choice.startswith("case:"):
        return _intake_on_existing_case(request, form, choice.removeprefix("case:"))
    elif choice != "new":
        person = form.chosen_person()
        if person is None:
            form.add_error(None, _("選んだ本人が見つかりません。もう一度確認してください。"))
            return render(request, "cases/intake.html", {"form": form})

    saved = submit(
        request,
        form,
        lambda: services.case_open(
            user=user,
            request=request,
            municipality=data["municipality"],
            intake_date=data["intake_date"],
            intake_route=data["intake_route"],
            visitor=data["visitor"],
            consultation=form.consultation_input(),
            submission_token=data["submission_token"],
            person=person,
            new_person=None if person else form.person_input(),
            issue_tags=data["issue_tags"],
            age_band_at_intake=data["age_band_at_intake"],
            withdrawal_duration=data["withdrawal_duration"],
            assigned_counselor=data["assigned_counselor"],
            household_notes=data["household_notes"],
            allow_duplicate=data.get("confirm_duplicate", False),
        ),
        success=lambda case: _("ケース %(number)s を登録しました。") % {"number": case.number},
    )
    return saved or render(request, "cases/intake.html", {"form": form})


def _render_duplicates(
    request: HttpRequest, form: IntakeForm, duplicates: list[Person]
) -> HttpResponse:
    """The duplicate step. A candidate with an open case is offered 「既存のケースに記録する」
    first, and it is the default: a second open case for the same person is the mistake."""
    open_cases = [c for p in duplicates for c in p.cases.all() if c.is_open]
    default = f"case:{open_cases[0].pk}" if open_cases else ""
    return render(
        request,
        "cases/intake_confirm.html",
        {"form": form, "duplicates": duplicates, "open_cases": open_cases, "default": default},
    )


def _intake_on_existing_case(
    request: AuthenticatedHttpRequest, form: IntakeForm, case_id: str
) -> HttpResponse:
    """Record the intake's consultation on the person's open case instead of a new case."""
    data = form.cleaned_data
    if not case_id.isdigit():
        form.add_error(None, _("選んだケースが見つかりません。もう一度確認してください。"))
        return render(request, "cases/intake.html", {"form": form})
    case = get_case_for_user(request.user, int(case_id), request=request)
    saved = submit(
        request,
        form,
        lambda: services.consultation_record(
            user=request.user,
            request=request,
            case=case,
            data=form.consultation_input(),
            submission_token=data["submission_token"],
        ),
        success=_("ケース %(number)s に相談を記録しました。") % {"number": case.number},
        to=case,
    )
    return saved or render(request, "cases/intake.html", {"form": form})


# --- Case page -----------------------------------------------------------------------------


def _render_case_page(
    request: HttpRequest,
    case: Case,
    consultation_form: ConsultationForm,
) -> HttpResponse:
    from casework.selectors import case_casework  # casework builds on cases

    household = getattr(case.person, "household", None)
    members = list(household.members.all()) if household else []
    timeline = case_timeline(case)
    consultation_form.use_latest_of(e.obj for e in timeline if e.kind == "consultation")
    audit_record(action=Action.VIEW, request=request, obj=case)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "person": case.person,
            "household": household,
            "members": members,
            "tags": list(case.issue_tags.all()),
            "other_cases": list(
                case.person.cases.exclude(pk=case.pk).only("pk", "number", "status")
            ),
            "timeline": timeline,
            "consultation_form": consultation_form,
            "case_actions": services.case_actions(case),
            "cw": case_casework(case, timeline),
        },
    )


def _case(request: AuthenticatedHttpRequest, pk: int) -> Case:
    return get_case_for_user(request.user, pk, request=request)


@personal_data_view
@require_http_methods(["GET"])
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = ConsultationForm(case=case, with_whom=request.GET.get("with_whom", ""))
    return _render_case_page(request, case, form)


@personal_data_view
@require_http_methods(["GET"])
def case_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """支援経過記録 for paper: the title block, then the registered sections."""
    return _print(request, pk, layout=printing.CASE_RECORD, template="print/case_record.html")


@personal_data_view
@require_http_methods(["GET"])
def household_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """世帯票 for paper."""
    return _print(
        request, pk, layout=printing.HOUSEHOLD_SHEET, template="print/household_sheet.html"
    )


def _print(
    request: AuthenticatedHttpRequest, pk: int, *, layout: str, template: str
) -> HttpResponse:
    case = _case(request, pk)
    sections = render_sections(layout, case, request)
    audit_print(request, obj=case, layout=layout)
    return render(
        request,
        template,
        {"case": case, "sections": sections, "printed_at": timezone.now()},
    )


@personal_data_view
@require_POST
def consultation_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = ConsultationForm(request.POST, case=case)
    if form.is_valid() and (
        saved := submit(
            request,
            form,
            lambda: services.consultation_record(
                user=request.user,
                request=request,
                case=case,
                data=form.consultation_input(),
                **form.submission(),
            ),
            success=_("相談記録を保存しました。"),
            to=case.get_absolute_url() + "#timeline",
        )
    ):
        return saved
    return _render_case_page(request, case, form)


@personal_data_view
@require_http_methods(["GET", "POST"])
def consultation_edit(
    request: AuthenticatedHttpRequest, pk: int, consultation_pk: int
) -> HttpResponse:
    case = _case(request, pk)
    consultation = Consultation.objects.filter(case=case, pk=consultation_pk).first()
    if consultation is None:
        raise deny(
            request, user=request.user, object_type="cases.consultation", object_id=consultation_pk
        )
    consultation.case = case
    if request.method == "POST":
        form = ConsultationForm(request.POST, instance=consultation, case=case)

        def latest() -> SavedVersion:
            fresh = Consultation.objects.get(pk=consultation.pk)
            fresh.case = case
            _audit_reread(request, fresh, case)
            return SavedVersion.of_form(ConsultationForm(instance=fresh, case=case))

        if form.is_valid() and (
            saved := submit(
                request,
                form,
                lambda: services.consultation_update(
                    user=request.user,
                    request=request,
                    consultation=consultation,
                    version=form.cleaned_data["version"],
                    data=form.consultation_input(),
                ),
                success=_("相談記録を更新しました。"),
                to=case.get_absolute_url() + f"#consultation-{consultation.pk}",
                latest=latest,
            )
        ):
            return saved
    else:
        form = ConsultationForm(instance=consultation, case=case)
        audit_record(
            action=Action.VIEW, request=request, obj=consultation,
            municipality_id=case.municipality_id,
        )  # fmt: skip
    return render(
        request,
        "cases/consultation_edit.html",
        {"case": case, "consultation": consultation, "form": form},
    )


@personal_data_view
@require_http_methods(["GET", "POST"])
def case_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    if request.method == "POST":
        form = CaseEditForm(request.POST, user=request.user, case=case)

        def update() -> Case:
            data = form.cleaned_data
            return services.case_update(
                user=request.user,
                request=request,
                case=case,
                version=data["version"],
                status=data.get("status") or case.status,
                intake_route=data["intake_route"],
                visitor=data["visitor"],
                age_band_at_intake=data["age_band_at_intake"],
                withdrawal_duration=data["withdrawal_duration"],
                assigned_counselor=data["assigned_counselor"],
                issue_tags=data["issue_tags"],
                person=form.person_input(),
                household_notes=data["household_notes"],
            )

        if form.is_valid() and (
            saved := submit(
                request,
                form,
                update,
                success=_("ケースを更新しました。"),
                to=case,
                latest=lambda: SavedVersion.of_form(
                    CaseEditForm(user=request.user, case=_reread_case(request, case))
                ),
            )
        ):
            return saved
    else:
        form = CaseEditForm(user=request.user, case=case)
        audit_record(action=Action.VIEW, request=request, obj=case)
    return render(request, "cases/edit.html", {"case": case, "form": form})


def _reread_case(request: AuthenticatedHttpRequest, case: Case) -> Case:
    """The case as saved now, after a refused edit: shown beside the user's own input, so
    read (and audited) again."""
    fresh = Case.objects.select_related("person").get(pk=case.pk)
    _audit_reread(request, fresh, fresh)
    return fresh


def _audit_reread(request: AuthenticatedHttpRequest, record: Any, case: Case) -> None:
    audit_record(
        action=Action.VIEW, request=request, obj=record, municipality_id=case.municipality_id
    )


# --- Close, suspend, reopen ----------------------------------------------------------------

STATUS_ACTIONS: dict[str, dict[str, Any]] = {
    "close": {
        "service": services.case_close,
        "date_arg": "closed_on",
        "end_reason": True,
        "title": gettext_lazy("ケースを終結する"),
        "date_label": gettext_lazy("終結日"),
        "reason_help": gettext_lazy("例：就労が安定し、本人・家族と合意して終結。"),
        "button": gettext_lazy("終結する"),
        "done": gettext_lazy("ケースを終結しました。"),
    },
    "suspend": {
        "service": services.case_suspend,
        "date_arg": "suspended_on",
        "end_reason": True,
        "title": gettext_lazy("ケースを中断する"),
        "date_label": gettext_lazy("中断日"),
        "reason_help": gettext_lazy("例：3か月連絡が取れない。家族の希望で一時休止。"),
        "button": gettext_lazy("中断する"),
        "done": gettext_lazy("ケースを中断しました。"),
    },
    "reopen": {
        "service": services.case_reopen,
        "date_arg": "reopened_on",
        "end_reason": False,
        "title": gettext_lazy("ケースを再開する"),
        "date_label": gettext_lazy("再開日"),
        "reason_help": gettext_lazy("例：母親から再び相談の電話があった。"),
        "button": gettext_lazy("再開する"),
        "done": gettext_lazy("ケースを再開しました（支援中）。"),
    },
}


# After a refused status change, the case's status as saved now (its version changes with
# every edit of the case, its status with every change of it).
STATUS_SHOWN_AFTER_CONFLICT = ("status", "status_changed_on", "end_reason", "status_reason")


def _after_status_change(request: AuthenticatedHttpRequest, case: Case, action: str) -> str:
    """Where a status change goes on: 終結 asks for the closing evaluation of the current
    plan; otherwise back to the case."""
    if action == "close":
        from casework.selectors import closing_review_url

        if url := closing_review_url(case):
            messages.info(request, _("終結時の評価を記録してください。"))
            return url
    return case.get_absolute_url()


def _status_view(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    config = STATUS_ACTIONS[action]
    case = _case(request, pk)
    if action not in services.case_actions(case):
        messages.error(
            request,
            _("このケースは現在「%(status)s」のため、この操作はできません。")
            % {"status": case.get_status_display()},
        )
        return redirect(case)
    form_kwargs = {
        "case": case,
        "date_label": config["date_label"],
        "reason_help": config["reason_help"],
        "with_end_reason": config["end_reason"],
    }
    if request.method == "POST":
        form = StatusChangeForm(request.POST, **form_kwargs)
        if form.is_valid() and (
            saved := submit(
                request,
                form,
                lambda: config["service"](
                    user=request.user,
                    request=request,
                    case=case,
                    version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                    **{config["date_arg"]: form.cleaned_data["on"]},
                    **(
                        {"end_reason": form.cleaned_data["end_reason"]}
                        if config["end_reason"]
                        else {}
                    ),
                ),
                success=config["done"],
                to=lambda _result: _after_status_change(request, case, action),
                latest=lambda: SavedVersion.of_fields(
                    _reread_case(request, case), STATUS_SHOWN_AFTER_CONFLICT
                ),
            )
        ):
            return saved
    else:
        form = StatusChangeForm(**form_kwargs)
    return render(
        request,
        "cases/status_form.html",
        {
            "case": case,
            "form": form,
            "action": action,
            "title": config["title"],
            "button": config["button"],
        },
    )


@personal_data_view
@require_http_methods(["GET", "POST"])
def case_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, "close")


@personal_data_view
@require_http_methods(["GET", "POST"])
def case_suspend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, "suspend")


@personal_data_view
@require_http_methods(["GET", "POST"])
def case_reopen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _status_view(request, pk, "reopen")


# --- Household -----------------------------------------------------------------------------


def _member(request: HttpRequest, case: Case, member_pk: int) -> HouseholdMember:
    member = (
        HouseholdMember.objects.select_related("household")
        .filter(pk=member_pk, household__person_id=case.person_id)
        .first()
    )
    if member is None:
        raise deny(
            request, user=request.user, object_type="cases.householdmember", object_id=member_pk
        )
    return member


def _household_url(case: Case) -> str:
    return case.get_absolute_url() + "#household"


@personal_data_view
@require_http_methods(["GET", "POST"])
def member_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = HouseholdMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.household_member_add(
                user=request.user, request=request, case=case, **form.member_values(),
                **form.submission(),
            ),
            success=_("世帯員を追加しました。"),
            to=_household_url(case),
        )  # fmt: skip
        if saved:
            return saved
    return render(request, "cases/member_form.html", {"case": case, "form": form})


@personal_data_view
@require_http_methods(["GET", "POST"])
def member_edit(request: AuthenticatedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case = _case(request, pk)
    member = _member(request, case, member_pk)
    form = HouseholdMemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        services.household_member_update(
            user=request.user, request=request, case=case, member=member, **form.cleaned_data
        )
        messages.success(request, _("世帯員を更新しました。"))
        return redirect(_household_url(case))
    if request.method != "POST":
        # The form shows the member's circumstances: a read like the case page.
        audit_record(
            action=Action.VIEW, request=request, obj=member, municipality_id=case.municipality_id
        )
    return render(request, "cases/member_form.html", {"case": case, "form": form, "member": member})


@personal_data_view
@require_http_methods(["GET", "POST"])
def member_remove(request: AuthenticatedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    case = _case(request, pk)
    member = _member(request, case, member_pk)
    if request.method == "POST":
        services.household_member_remove(
            user=request.user, request=request, case=case, member=member
        )
        messages.success(request, _("世帯員を削除しました。"))
        return redirect(_household_url(case))
    return render(request, "cases/member_remove.html", {"case": case, "member": member})


# --- Corrections (取消) ---------------------------------------------------------------------


@personal_data_view
@require_http_methods(["GET", "POST"])
def consultation_void(
    request: AuthenticatedHttpRequest, pk: int, consultation_pk: int
) -> HttpResponse:
    case = _case(request, pk)
    consultation = Consultation.objects.filter(case=case, pk=consultation_pk).first()
    if consultation is None:
        raise deny(
            request, user=request.user, object_type="cases.consultation", object_id=consultation_pk
        )
    consultation.case = case
    return void_page(
        request,
        obj=consultation,
        recorded_by_id=consultation.recorded_by_id,
        recorded_at=consultation.created_at,
        perform=lambda reason, _version: services.consultation_void(
            user=request.user, request=request, consultation=consultation, reason=reason
        ),
        title=_("相談記録を取消す"),
        description=_("%(number)s ・ %(date)s の相談記録（%(method)s）を取消します。")
        % {
            "number": case.number,
            "date": date_format(consultation.date),
            "method": consultation.get_method_display(),
        },
        back_url=case.get_absolute_url() + f"#consultation-{consultation.pk}",
        done=_("相談記録を取消しました。"),
    )


@personal_data_view
@require_http_methods(["GET", "POST"])
def case_void(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return void_page(
        request,
        obj=case,
        recorded_by_id=case.created_by_id,
        recorded_at=case.created_at,
        perform=lambda reason, _version: services.case_void(
            user=request.user, request=request, case=case, reason=reason
        ),
        title=_("ケースを取消す（誤登録）"),
        description=_(
            "ケース %(number)s を、誤って登録したものとして取消します。"
            "相談記録・つなぎ・就労の記録も集計に含まれなくなります。"
        )
        % {"number": case.number},
        back_url=case.get_absolute_url(),
        done=_("ケースを取消しました。"),
    )
