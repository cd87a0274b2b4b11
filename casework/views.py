"""Casework views: fetch through the scoped helpers (outsider 404, prefecture staff 403, both
audited), validate a form, call a service, redirect."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import deny, get_for_user, personal_data_view
from accounts.types import AuthenticatedHttpRequest
from audit.services import Action, audit_record
from cases.models import Case, HouseholdMember
from cases.selectors import get_case_for_user
from cases.voiding import VoidForm, void_refusal
from casework import forms, services
from casework.models import PlanGoal, SupportPlan
from casework.selectors import (
    get_assessment_for_user,
    get_consent_for_user,
    get_plan_for_user,
    get_review_for_user,
    goals_with_referrals,
)
from core.saving import submit
from platforms.models import CaseMeeting

GET_POST = require_http_methods(["GET", "POST"])


def _case(request: AuthenticatedHttpRequest, pk: int) -> Case:
    return get_case_for_user(request.user, pk, request=request)


def _form_page(request: AuthenticatedHttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, "casework/form.html", context)


# --- Assessment -------------------------------------------------------------------------------


@personal_data_view
@GET_POST
def assessment_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = forms.AssessmentForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.assessment_record(
                user=request.user,
                case=case,
                data=form.data_input(),
                **form.submission(),
                request=request,
            ),
            success=_("アセスメントを保存しました。"),
        )
        if saved:
            return saved
    return render(request, "casework/assessment_form.html", {"case": case, "form": form})


@personal_data_view
@GET_POST
def assessment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, pk, request=request)
    case = assessment.case
    form = VoidForm(request.POST or None)
    # Who may void it, by the rules every record has (cases.voiding): shown instead of the form.
    refusal = void_refusal(
        request.user, recorded_by_id=assessment.assessor_id, recorded_at=assessment.created_at
    )
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            saved = submit(
                request,
                form,
                lambda: services.assessment_void(
                    user=request.user, assessment=assessment,
                    reason=form.cleaned_data["reason"], request=request,
                ),
                success=_("アセスメントを取り消しました。"),
                to=assessment,
            )  # fmt: skip
        except PermissionDenied as error:
            refusal, saved = str(error), None
        if saved:
            return saved
    if request.method == "GET":
        audit_record(
            action=Action.VIEW, request=request, obj=assessment,
            municipality_id=case.municipality_id,
        )  # fmt: skip
    return render(
        request,
        "casework/assessment_detail.html",
        {
            "case": case,
            "assessment": assessment,
            "situations": list(assessment.situations.select_related("domain")),
            "form": form,
            "refusal": refusal,
        },
    )


# --- Plans ----------------------------------------------------------------------------------


@personal_data_view
@GET_POST
def plan_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = forms.PlanForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.plan_create(
                user=request.user,
                case=case,
                data=form.data_input(),
                **form.submission(),
                request=request,
            ),
            success=_("支援プランを作成しました。目標を加えてください。"),
        )
        if saved:
            return saved
    return _form_page(
        request,
        {"case": case, "form": form, "title": _("支援プランの作成"), "button": _("作成する")},
    )


@personal_data_view
@require_http_methods(["GET"])
def plan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, request=request)
    case = plan.case
    audit_record(
        action=Action.VIEW, request=request, obj=plan, municipality_id=case.municipality_id
    )
    versions = list(case.plans.order_by("-number"))
    reviews = list(
        plan.reviews.select_related("stage", "recorded_by").prefetch_related(
            "steps", "evaluations__goal"
        )
    )
    return render(
        request,
        "casework/plan_detail.html",
        {
            "case": case,
            "plan": plan,
            "goals": goals_with_referrals(plan),
            "versions": versions,
            "reviews": reviews,
        },
    )


@personal_data_view
@GET_POST
def plan_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, request=request)
    case = plan.case
    form = forms.PlanForm(request.POST or None, case=case, plan=plan)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.plan_update(
                user=request.user, plan=plan, version=form.cleaned_data["version"] or 0,
                data=form.data_input(), request=request,
            ),
            success=_("支援プランを更新しました。"),
            to=plan,
        )  # fmt: skip
        if saved:
            return saved
    return _form_page(
        request,
        {"case": case, "plan": plan, "form": form, "title": _("支援プランの編集"),
         "button": _("保存する")},
    )  # fmt: skip


def _goal(request: AuthenticatedHttpRequest, plan: SupportPlan, goal_pk: int) -> PlanGoal:
    goal = plan.goals.filter(pk=goal_pk).first()
    if goal is None:
        raise deny(request, user=request.user, object_type="casework.plangoal", object_id=goal_pk)
    return goal


@personal_data_view
@GET_POST
def goal_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _goal_form(request, pk, None)


@personal_data_view
@GET_POST
def goal_edit(request: AuthenticatedHttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    return _goal_form(request, pk, goal_pk)


def _goal_form(request: AuthenticatedHttpRequest, pk: int, goal_pk: int | None) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, request=request)
    goal = _goal(request, plan, goal_pk) if goal_pk else None
    case = plan.case
    if plan.status != SupportPlan.Status.DRAFT:
        if goal is None:
            messages.error(request, _("決定したプランには目標を加えられません。見直してください。"))
            return redirect(plan)
        # A decided plan: only the links to referrals can change.
        form: Any = forms.LinkReferralsForm(request.POST or None, goal=goal)
        if request.method == "POST" and form.is_valid() and (saved := submit(
            request,
            form,
            lambda: services.goal_link_referrals(
                user=request.user, goal=goal,
                referrals=form.cleaned_data["referrals"], request=request,
            ),
            success=_("目標とつなぎの関連を更新しました。"),
            to=plan,
        )):  # fmt: skip
            return saved
        return _form_page(
            request,
            {"case": case, "plan": plan, "form": form, "title": _("目標に関連するつなぎ"),
             "lead": goal.goal, "button": _("保存する")},
        )  # fmt: skip
    form = forms.GoalForm(request.POST or None, plan=plan, goal=goal)
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            saved := submit(
                request,
                form,
                lambda: services.goal_save(
                    user=request.user,
                    plan=plan,
                    goal=goal,
                    data=form.data_input(),
                    **({} if goal else form.submission()),
                    request=request,
                ),
                success=_("目標を保存しました。"),
                to=plan,
            )
        )
    ):
        return saved
    title = _("目標の編集") if goal else _("目標の追加")
    return _form_page(
        request, {"case": case, "plan": plan, "form": form, "title": title, "button": _("保存する")}
    )


@personal_data_view
@GET_POST
def plan_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, request=request)
    case = plan.case
    form = forms.DecideForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid() and (saved := submit(
        request,
        form,
        lambda: services.plan_decide(
            user=request.user, plan=plan, version=form.cleaned_data["version"],
            meeting=form.cleaned_data["meeting"], request=request,
        ),
        success=_("支援プランを決定として記録しました。"),
        to=plan,
    )):  # fmt: skip
        return saved
    return _form_page(
        request,
        {"case": case, "plan": plan, "form": form, "title": _("支援プランの決定"),
         "lead": _("支援会議・重層的支援会議で決定したプランを記録します。会議の記録にこのプランが表示されます。"),  # noqa: E501
         "button": _("決定として記録する")},
    )  # fmt: skip


def _plan_date_view(request: AuthenticatedHttpRequest, pk: int, *, revise: bool) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, request=request)
    case = plan.case
    form = forms.PlanDateForm(request.POST or None, plan=plan, revise=revise)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        saved = submit(
            request,
            form,
            lambda: services.plan_revise(
                user=request.user, plan=plan, version=d["version"], on=d["on"],
                next_review_on=d["next_review_on"], request=request,
            )
            if revise
            else services.plan_end(
                user=request.user, plan=plan, version=d["version"], on=d["on"],
                request=request,
            ),
            success=_("新しい版を作成しました。") if revise else _("支援プランを終了しました。"),
        )  # fmt: skip
        if saved:
            return saved
    return _form_page(
        request,
        {"case": case, "plan": plan, "form": form,
         "title": _("支援プランの見直し") if revise else _("支援プランの終了"),
         "lead": _("いまの版は見直し済みとして残り、目標を引き継いだ新しい版（作成中）ができます。")
         if revise else "",
         "button": _("見直す") if revise else _("終了する")},
    )  # fmt: skip


@personal_data_view
@GET_POST
def plan_revise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _plan_date_view(request, pk, revise=True)


@personal_data_view
@GET_POST
def plan_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _plan_date_view(request, pk, revise=False)


# --- Reviews --------------------------------------------------------------------------------


@personal_data_view
@GET_POST
def review_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, request=request)
    case = plan.case
    closing = request.GET.get("closing") == "1" or not case.is_open
    form = forms.ReviewForm(request.POST or None, plan=plan, closing=closing)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request,
            form,
            lambda: services.review_record(
                user=request.user, plan=plan, data=form.data_input(), closing=closing,
                **form.submission(), request=request,
            ),
            success=_("評価を保存しました。"),
        )  # fmt: skip
        if saved:
            return saved
    return render(
        request,
        "casework/review_form.html",
        {"case": case, "plan": plan, "form": form, "closing": closing},
    )


@personal_data_view
@require_http_methods(["GET"])
def review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    review = get_review_for_user(request.user, pk, request=request)
    audit_record(
        action=Action.VIEW, request=request, obj=review, municipality_id=review.case.municipality_id
    )
    return render(
        request,
        "casework/review_detail.html",
        {
            "case": review.case,
            "review": review,
            "evaluations": list(review.evaluations.select_related("goal")),
            "steps": list(review.steps.all()),
        },
    )


# --- Consent ----------------------------------------------------------------------------------


@personal_data_view
@GET_POST
def consent_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = forms.ConsentForm(request.POST or None, case=case)
    if (
        request.method == "POST"
        and form.is_valid()
        and (
            saved := submit(
                request,
                form,
                lambda: services.consent_record(
                    user=request.user,
                    case=case,
                    data=form.data_input(),
                    **form.submission(),
                    request=request,
                ),
                success=_("同意を記録しました。"),
                to=case.get_absolute_url() + "#casework",
            )
        )
    ):
        return saved
    return _form_page(
        request,
        {"case": case, "form": form, "title": _("情報共有の同意を記録"), "button": _("記録する")},
    )


@personal_data_view
@GET_POST
def consent_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    consent = get_consent_for_user(request.user, pk, request=request)
    case = consent.case
    form = forms.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (saved := submit(
        request,
        form,
        lambda: services.consent_withdraw(
            user=request.user, consent=consent, on=form.cleaned_data["on"],
            note=form.cleaned_data["note"], request=request,
        ),
        success=_("同意の撤回を記録しました。"),
        to=case.get_absolute_url() + "#casework",
    )):  # fmt: skip
        return saved
    return _form_page(
        request,
        {"case": case, "form": form, "title": _("同意の撤回"), "lead": str(consent),
         "button": _("撤回を記録する")},
    )  # fmt: skip


# --- Contact details ------------------------------------------------------------------------


@personal_data_view
@require_http_methods(["GET"])
def contacts(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    from casework.models import ContactDetail

    details = {c.member_id: c for c in ContactDetail.objects.filter(person_id=case.person_id)}
    household = getattr(case.person, "household", None)
    members = list(household.members.all()) if household else []
    audit_record(
        action=Action.VIEW, request=request, object_type="casework.contactdetail",
        object_id=case.person_id, municipality_id=case.municipality_id,
    )  # fmt: skip
    return render(
        request,
        "casework/contacts.html",
        {
            "case": case,
            "person_contact": details.get(None),
            "member_rows": [(m, details.get(m.pk)) for m in members],
        },
    )


@personal_data_view
@GET_POST
def contact_edit(
    request: AuthenticatedHttpRequest, pk: int, member_pk: int | None = None
) -> HttpResponse:
    case = _case(request, pk)
    from casework.models import ContactDetail

    member = None
    if member_pk is not None:
        member = (
            HouseholdMember.objects.select_related("household")
            .filter(pk=member_pk, household__person_id=case.person_id)
            .first()
        )
        if member is None:
            raise deny(
                request, user=request.user, object_type="cases.householdmember",
                object_id=member_pk,
            )  # fmt: skip
    instance = ContactDetail.objects.filter(person_id=case.person_id, member=member).first()
    form = forms.ContactForm(request.POST or None, instance=instance or ContactDetail())
    if request.method == "POST" and form.is_valid() and (saved := submit(
        request,
        form,
        lambda: services.contact_save(
            user=request.user, case=case, member=member,
            version=form.cleaned_data.get("version"),
            values={k: form.cleaned_data[k] for k in services.CONTACT_FIELDS},
            request=request,
        ),
        success=_("連絡先を保存しました。"),
        to=reverse("casework:contacts", args=[case.pk]),
    )):  # fmt: skip
        return saved
    who = f"{member.get_relationship_display()} {member.name}".strip() if member else _("本人")
    return _form_page(
        request,
        {"case": case, "form": form, "title": _("連絡先の編集"), "lead": who,
         "button": _("保存する"), "cancel": reverse("casework:contacts", args=[case.pk])},
    )  # fmt: skip


# --- The basis per case on a meeting ----------------------------------------------------------


@personal_data_view
@GET_POST
def meeting_bases(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_for_user(CaseMeeting.objects.all(), request.user, pk, request=request)
    form = forms.BasisForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid() and (saved := submit(
        request,
        form,
        lambda: services.meeting_bases_save(
            user=request.user, meeting=meeting, rows=form.rows(),
            confirmed_missing_consent=form.cleaned_data["confirm_missing_consent"],
            request=request,
        ),
        success=_("情報共有の根拠を保存しました。"),
        to=meeting,
    )):  # fmt: skip
        return saved
    return render(request, "casework/meeting_bases.html", {"meeting": meeting, "form": form})
