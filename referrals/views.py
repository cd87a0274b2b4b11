"""Pages for the resource directory, referrals and employment outcomes.

The directory holds no personal data: every logged-in user sees it, prefecture staff included.
Everything else follows the case's scope: an outsider gets 404 (audited), prefecture staff 403.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_stubs_ext import StrPromise

from accounts.access import admin_view, login_view, personal_data_view
from accounts.types import AuthenticatedHttpRequest
from audit.services import Action, audit_record
from cases.models import Case
from cases.selectors import get_case_for_user
from cases.voiding import void_page
from core.concurrency import SavedVersion
from core.forms import add_service_errors
from core.saving import submit
from referrals import selectors, services
from referrals.filters import ResourceFilter
from referrals.forms import (
    ConfigChangeForm,
    EmploymentForm,
    KindSettingsForm,
    NoteForm,
    ReferralCreateForm,
    ResourceKindForm,
    TransitionForm,
)
from referrals.models import EmploymentOutcome, Referral, ResourceKind

RESOURCES_PER_PAGE = 25

# The form action for each target status (the buttons on the referral page).
ACTION_FOR: dict[str, str] = {target: action for action, target in TransitionForm.ACTIONS.items()}


# The directory ------------------------------------------------------------------------------


@login_view
def resource_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    resources = selectors.resources_for(request.user)
    filterset = ResourceFilter(
        request.GET or None, queryset=resources, prefecture_code=request.user.prefecture_code
    )
    page = Paginator(filterset.qs, RESOURCES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referrals/resource_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@login_view
def resource_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(selectors.resources_for(request.user), pk=pk)
    return render(request, "referrals/resource_detail.html", {"resource": resource})


# Referrals ----------------------------------------------------------------------------------


@personal_data_view
def case_referrals(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    """A case's referrals and employment outcomes, with the buttons to add them."""
    case = get_case_for_user(request.user, case_pk, request=request)
    referrals = list(selectors.case_referrals(case))
    employments = list(selectors.case_employments(case))
    audit_record(action=Action.VIEW, request=request, obj=case, row_count=len(referrals))
    return render(
        request,
        "referrals/case_referrals.html",
        {"case": case, "referrals": referrals, "employments": employments},
    )


@personal_data_view
def referral_create(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, case_pk, request=request)
    resources = selectors.resources_for(request.user).filter(active=True)
    form = ReferralCreateForm(request.POST or None, resources=resources)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.referral_propose(
                case=case,
                resource=form.cleaned_data["resource"],
                proposed_on=form.cleaned_data["proposed_on"],
                user=request.user,
                request=request,
            ),
            success=_("つなぎを登録しました（提案）。"),
        )
        if saved:
            return saved
    return render(request, "referrals/referral_form.html", {"case": case, "form": form})


def _detail(
    request: HttpRequest,
    referral: Referral,
    *,
    failed: TransitionForm | None = None,
    note_form: NoteForm | None = None,
) -> HttpResponse:
    transition_forms = []
    page_errors: list[str] = []
    for target in services.allowed_next(referral):
        action = ACTION_FOR[target]
        if failed is not None and failed.data.get("action") == action:
            form = failed
            failed = None
        else:
            form = TransitionForm(referral=referral, action=action)
        transition_forms.append({"target": Referral.Status(target), "action": action, "form": form})
    if failed is not None:
        # The step asked for is not offered (any more): say why above the page.
        page_errors = [str(e) for errors in failed.errors.values() for e in errors]
    transitions = list(referral.transitions.select_related("by", "voided_by"))
    live_steps = [t for t in transitions if t.voided_at is None]
    notes = referral.notes.select_related("by")
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "case": referral.case,
            "transitions": transitions,
            # services.last_step's rule, on the rows already read: a step after the proposal.
            "can_undo": bool(live_steps)
            and bool(max(live_steps, key=lambda t: (t.on, t.pk)).from_status),
            "notes": notes,
            "transition_forms": transition_forms,
            "note_form": note_form or NoteForm(),
            "page_errors": page_errors,
        },
    )


@personal_data_view
def referral_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    audit_record(
        action=Action.VIEW,
        request=request,
        obj=referral,
        municipality_id=referral.case.municipality_id,
    )
    return _detail(request, referral)


SERVICE_FOR: dict[str, Any] = {
    Referral.Status.ARRANGING: services.referral_arrange,
    Referral.Status.CONNECTED: services.referral_connect,
    Referral.Status.ENDED: services.referral_end,
}

DONE_MESSAGE: dict[str, StrPromise] = {
    Referral.Status.ARRANGING: gettext_lazy("「調整中」にしました。"),
    Referral.Status.CONNECTED: gettext_lazy("「つながった」を記録しました。"),
    Referral.Status.ENDED: gettext_lazy("「終了」を記録しました。"),
    Referral.Status.NOT_REALISED: gettext_lazy("「不成立」を記録しました。"),
}


@personal_data_view
@require_POST
def referral_transition(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    form = TransitionForm(request.POST, referral=referral)
    if form.is_valid():
        data = form.cleaned_data
        common = {
            "referral": referral,
            "on": data["on"],
            "version": data["version"],
            "user": request.user,
            "request": request,
        }

        def perform() -> Any:
            if form.target == Referral.Status.NOT_REALISED:
                return services.referral_not_realise(
                    **common, reason=data["reason"], detail=data.get("detail", "")
                )
            return SERVICE_FOR[form.target](**common)

        saved = submit(request, form, perform, success=DONE_MESSAGE[form.target], to=referral)
        if saved:
            return saved
    referral.refresh_from_db()
    return _detail(request, referral, failed=form)


@personal_data_view
@require_POST
def referral_note_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    form = NoteForm(request.POST)
    if form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.referral_note_add(
                referral=referral,
                date=form.cleaned_data["date"],
                text=form.cleaned_data["text"],
                user=request.user,
                **form.submission(),
                request=request,
            ),
            success=_("記録を追加しました。"),
            to=referral,
        )
        if saved:
            return saved
    return _detail(request, referral, note_form=form)


@personal_data_view
def follow_up(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The two follow-up lists in full (the home panel shows the first rows)."""
    stuck = list(selectors.stuck_arranging(request.user))
    quiet = list(selectors.quiet_connected(request.user))
    audit_record(
        action=Action.LIST,
        request=request,
        object_type="referrals.referral",
        filters={"list": "follow_up"},
        row_count=len(stuck) + len(quiet),
    )
    return render(
        request,
        "referrals/follow_up.html",
        {
            "stuck": stuck,
            "quiet": quiet,
            "stuck_days": selectors.STUCK_ARRANGING_DAYS,
            "quiet_days": selectors.QUIET_CONNECTED_DAYS,
        },
    )


# Employment outcomes ------------------------------------------------------------------------


def _hub(case: Case) -> str:
    return reverse("referrals:case_referrals", args=[case.pk])


@personal_data_view
def employment_create(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, case_pk, request=request)
    form = EmploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.employment_record(
                case=case,
                started_on=form.cleaned_data["started_on"],
                employment_type=form.cleaned_data["employment_type"],
                manual_after_intermediate=form.manual_after_intermediate,
                manual_reason=form.cleaned_data["manual_reason"],
                user=request.user,
                **form.submission(),
                request=request,
            ),
            success=_("就労を記録しました。"),
            to=_hub(case),
        )
        if saved:
            return saved
    return render(
        request, "referrals/employment_form.html", {"case": case, "form": form, "outcome": None}
    )


@personal_data_view
def employment_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    outcome = selectors.get_employment_for_user(request.user, pk, request=request)

    def reread() -> EmploymentOutcome:
        # After a refused edit, the outcome as saved now is shown beside the user's input.
        fresh = selectors.get_employment_for_user(request.user, pk, request=request)
        audit_record(
            action=Action.VIEW,
            request=request,
            obj=fresh,
            municipality_id=fresh.case.municipality_id,
        )
        return fresh

    if request.method == "POST":
        form = EmploymentForm(request.POST, editing=True)
        if form.is_valid():
            saved = submit(
                request,
                form,
                lambda: services.employment_update(
                    outcome=outcome,
                    version=form.cleaned_data["version"] or 0,
                    started_on=form.cleaned_data["started_on"],
                    employment_type=form.cleaned_data["employment_type"],
                    manual_after_intermediate=form.manual_after_intermediate,
                    manual_reason=form.cleaned_data["manual_reason"],
                    user=request.user,
                    request=request,
                ),
                success=_("就労の記録を更新しました。"),
                to=_hub(outcome.case),
                latest=lambda: SavedVersion.of_form(
                    EmploymentForm(initial=EmploymentForm.initial_for(reread()), editing=True)
                ),
            )
            if saved:
                return saved
    else:
        form = EmploymentForm(initial=EmploymentForm.initial_for(outcome), editing=True)
        audit_record(
            action=Action.VIEW,
            request=request,
            obj=outcome,
            municipality_id=outcome.case.municipality_id,
        )
    rule_basis = services.employment_rule_says(outcome)
    return render(
        request,
        "referrals/employment_form.html",
        {
            "case": outcome.case,
            "form": form,
            "outcome": outcome,
            "rule_says": rule_basis is not None,
            "rule_basis": rule_basis,
            "k4_rule": services.K4_RULE,
        },
    )


# --- Corrections -----------------------------------------------------------------------------


@personal_data_view
def referral_undo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Undo the last step of a referral (a 「つながった」 clicked by mistake…), with a reason."""
    referral = selectors.get_referral_for_user(request.user, pk, request=request)
    step = services.last_step(referral)
    if step is None:
        messages.error(
            request, _("取り消せる段階がありません（提案は、つなぎごと取り消せません）。")
        )
        return redirect(referral)
    return void_page(
        request,
        obj=step,
        recorded_by_id=step.by_id,
        recorded_at=step.created_at,
        perform=lambda reason, version: services.referral_step_undo(
            referral=referral,
            version=version or 0,
            reason=reason,
            user=request.user,
            request=request,
        ),
        title=_("つなぎの段階を取り消す"),
        description=_("「%(to)s」（%(date)s）を取り消し、「%(from)s」に戻します。")
        % {
            "to": step.get_to_status_display(),
            "from": step.get_from_status_display(),
            "date": date_format(step.on),
        },
        back_url=referral.get_absolute_url(),
        done=_("つなぎの段階を取り消しました。"),
        version=referral.version,
    )


@personal_data_view
def employment_void(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    outcome = selectors.get_employment_for_user(request.user, pk, request=request)
    return void_page(
        request,
        obj=outcome,
        recorded_by_id=outcome.recorded_by_id,
        recorded_at=outcome.created_at,
        perform=lambda reason, _version: services.employment_void(
            outcome=outcome, reason=reason, user=request.user, request=request
        ),
        title=_("就労の記録を取消す"),
        description=_("%(date)s 開始の就労（%(type)s）の記録を取消します。")
        % {"date": date_format(outcome.started_on), "type": outcome.get_employment_type_display()},
        back_url=_hub(outcome.case),
        done=_("就労の記録を取消しました。"),
    )


# Configuration history ------------------------------------------------------------------------


def _config_change_page(
    request: HttpRequest,
    *,
    form: ConfigChangeForm,
    preview: Callable[[], services.ConfigChange],
    apply: Callable[[], services.ConfigChange],
    context: dict[str, Any],
    done: str,
) -> HttpResponse:
    """Validate; show which figures the change would move; save only on the confirm button."""
    change = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("confirm") == "1":
                apply()
                messages.success(request, done)
                return redirect(context["back"])
            change = preview()
        except ValidationError as error:
            add_service_errors(form, error)
    return render(
        request,
        "referrals/config_change.html",
        {**context, "form": form, "change": change},
    )


@admin_view
def kind_settings_change(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Admins change what a kind counts as (居場所等, work training) from a date on."""
    kind = get_object_or_404(ResourceKind, pk=pk)
    initial = {"counts_as_ibasho": kind.counts_as_ibasho, "is_work_training": kind.is_work_training}
    form = KindSettingsForm(request.POST or None, initial=initial)

    def values() -> dict[str, Any]:
        return {
            "kind": kind,
            "counts_as_ibasho": form.cleaned_data["counts_as_ibasho"],
            "is_work_training": form.cleaned_data["is_work_training"],
            "effective_from": form.cleaned_data["effective_from"],
        }

    return _config_change_page(
        request,
        form=form,
        preview=lambda: services.kind_settings_preview(**values()),
        apply=lambda: services.kind_settings_change(
            **values(), reason=form.cleaned_data["reason"], user=request.user, request=request
        ),
        context={
            "title": _("種別「%(name)s」の数え方を変更する") % {"name": kind.name},
            "history": kind.history.order_by("effective_from"),
            "back": reverse("referrals:resource_list"),
        },
        done=_("種別「%(name)s」の数え方を変更しました。") % {"name": kind.name},
    )


@admin_view
def resource_kind_change(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Admins move a resource to another kind from a date on."""
    resource = get_object_or_404(selectors.resources_for(request.user), pk=pk)
    form = ResourceKindForm(request.POST or None, initial={"kind": resource.kind_id})

    def values() -> dict[str, Any]:
        return {
            "resource": resource,
            "kind": form.cleaned_data["kind"],
            "effective_from": form.cleaned_data["effective_from"],
        }

    return _config_change_page(
        request,
        form=form,
        preview=lambda: services.resource_kind_preview(**values()),
        apply=lambda: services.resource_kind_change(
            **values(), reason=form.cleaned_data["reason"], user=request.user, request=request
        ),
        context={
            "title": _("「%(name)s」の種別を変更する") % {"name": resource.name},
            "history": resource.kind_history.select_related("kind").order_by("effective_from"),
            "back": resource.get_absolute_url(),
        },
        done=_("「%(name)s」の種別を変更しました。") % {"name": resource.name},
    )


@require_POST
@personal_data_view
def employment_rejudge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Apply the automatic rule to one outcome again, on the counselor's request."""
    outcome = selectors.get_employment_for_user(request.user, pk, request=request)
    try:
        services.employment_rejudge(
            outcome=outcome,
            version=int(request.POST.get("version") or 0),
            user=request.user,
            request=request,
        )
    except (ValidationError, ValueError) as error:
        messages.error(
            request,
            " ".join(error.messages) if isinstance(error, ValidationError) else str(error),
        )
        return redirect("referrals:employment_edit", pk=outcome.pk)
    messages.success(request, _("自動判定をし直しました。"))
    return redirect(_hub(outcome.case))
