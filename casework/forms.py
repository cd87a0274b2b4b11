"""Forms for the casework cycle: they validate and clean, the services write. The rules come
from `casework.services.*_errors` so the message next to the field is what the service
enforces."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from casework import services
from casework.models import (
    Assessment,
    AssessmentDomain,
    Consent,
    ContactDetail,
    GoalEvaluation,
    MeetingCaseBasis,
    PlanGoal,
    ProgressStep,
    Risk,
    SupportPlan,
    SupportStage,
)
from core.forms import DateField, DateInput
from core.resubmission import SubmitOnceForm
from platforms.models import Agency, CaseMeeting
from referrals.models import Referral, Resource


def _model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """A model choice field of the form, typed as one (`form.fields` holds plain `Field`s)."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


class ReferralChoices(forms.ModelMultipleChoiceField[Referral]):
    """A case's referrals as checkboxes: the resource and where the referral stands."""

    def label_from_instance(self, obj: Referral) -> str:
        return f"{obj.resource.name}（{obj.get_status_display()}）"


class MeetingChoice(forms.ModelChoiceField[CaseMeeting]):
    def label_from_instance(self, obj: CaseMeeting) -> str:
        return f"{obj.held_on:%Y-%m-%d} {obj.get_kind_display()}"


def _add_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class AssessmentForm(SubmitOnceForm):
    assessed_on = DateField(label=_("実施日"), widget=DateInput())
    kind = forms.ChoiceField(label=_("区分"), choices=Assessment.Kind.choices)
    urgency = forms.ChoiceField(
        label=_("緊急度"), choices=Assessment.Urgency.choices, widget=forms.RadioSelect
    )
    strengths = forms.CharField(
        label=_("強み（本人・世帯・地域）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例：母との会話はある。絵を描くのが好き。近所に理解のある親族がいる。"),
    )
    risks = forms.MultipleChoiceField(
        label=_("リスク"), choices=Risk.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    risk_notes = forms.CharField(label=_("リスクの補足"), max_length=500, required=False)
    summary = forms.CharField(
        label=_("見立て（総合所見）"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.domains = list(AssessmentDomain.objects.filter(active=True))
        for domain in self.domains:
            self.fields[f"domain_{domain.pk}"] = forms.CharField(
                label=domain.name,
                required=False,
                help_text=domain.guidance,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if not self.is_bound:
            first = not case.assessments.exists()
            self.initial.update(
                assessed_on=timezone.localdate(),
                kind=Assessment.Kind.INTAKE if first else Assessment.Kind.REASSESSMENT,
            )

    def domain_fields(self) -> list[Any]:
        return [self[f"domain_{d.pk}"] for d in self.domains]

    def data_input(self) -> services.AssessmentInput:
        d = self.cleaned_data
        return services.AssessmentInput(
            assessed_on=d["assessed_on"],
            kind=d["kind"],
            urgency=d["urgency"],
            strengths=d["strengths"],
            risks=tuple(d["risks"]),
            risk_notes=d["risk_notes"],
            summary=d["summary"],
            situations={dom.pk: d.get(f"domain_{dom.pk}") or "" for dom in self.domains},
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            _add_errors(self, services.assessment_errors(self.data_input(), case=self.case))
        return cleaned


class PlanForm(SubmitOnceForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    drafted_on = DateField(label=_("作成日"), widget=DateInput())
    next_review_on = DateField(
        label=_("次回の見直し予定日（モニタリング）"), widget=DateInput(),
        help_text=_("目安：3か月ごと。"),
    )  # fmt: skip
    wishes = forms.CharField(
        label=_("本人・家族の希望"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    policy = forms.CharField(
        label=_("支援の方針"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, case: Case, plan: SupportPlan | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.case = case
        if plan is not None:
            self.editing()
        if not self.is_bound:
            if plan is not None:
                self.initial.update(
                    version=plan.version, drafted_on=plan.drafted_on,
                    next_review_on=plan.next_review_on, wishes=plan.wishes, policy=plan.policy,
                )  # fmt: skip
            else:
                today = timezone.localdate()
                self.initial.update(drafted_on=today, next_review_on=today + dt.timedelta(days=90))

    def data_input(self) -> services.PlanInput:
        d = self.cleaned_data
        return services.PlanInput(
            drafted_on=d["drafted_on"], next_review_on=d["next_review_on"],
            policy=d["policy"], wishes=d["wishes"],
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            _add_errors(self, services.plan_errors(self.data_input(), case=self.case))
        return cleaned


class GoalForm(SubmitOnceForm):
    term = forms.ChoiceField(
        label=_("期間の区分"), choices=PlanGoal.Term.choices, widget=forms.RadioSelect
    )
    goal = forms.CharField(
        label=_("目標"), max_length=300,
        help_text=_("例：週1回、居場所に通う。母と一緒に買い物に出かける。"),
    )  # fmt: skip
    supports = forms.CharField(
        label=_("具体的な支援内容"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    agency = forms.ModelChoiceField(
        label=_("担う関係機関"), queryset=Agency.objects.none(), required=False
    )
    resource = forms.ModelChoiceField(
        label=_("利用する社会資源"), queryset=Resource.objects.none(), required=False
    )
    who = forms.CharField(label=_("担当（その他）"), max_length=200, required=False)
    starts_on = DateField(label=_("開始"), widget=DateInput())
    ends_on = DateField(label=_("終了予定"), widget=DateInput())
    referrals = ReferralChoices(
        label=_("関連するつなぎ"), queryset=Referral.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("このケースのつなぎ（居場所・就労訓練など）。プランに実施状況が表示されます。"),
    )  # fmt: skip

    def __init__(self, *args: Any, plan: SupportPlan, goal: PlanGoal | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.plan = plan
        if goal is not None:
            self.editing()
        muni = plan.case.municipality
        _model_field(self, "agency").queryset = Agency.objects.filter(
            prefecture_code=muni.prefecture_code, active=True
        ).filter(municipality__isnull=True) | Agency.objects.filter(municipality=muni, active=True)
        _model_field(self, "resource").queryset = Resource.objects.filter(
            prefecture_code=muni.prefecture_code, active=True
        ).select_related("kind")
        _model_field(self, "referrals").queryset = Referral.objects.filter(
            case=plan.case
        ).select_related("resource")
        if not self.is_bound:
            if goal is not None:
                self.initial.update(
                    {name: getattr(goal, name) for name in services.GOAL_FIELDS},
                    referrals=list(goal.referrals.all()),
                )
            else:
                self.initial.update(
                    term=PlanGoal.Term.SHORT, starts_on=plan.drafted_on,
                    ends_on=plan.next_review_on,
                )  # fmt: skip

    def data_input(self) -> services.GoalInput:
        d = self.cleaned_data
        return services.GoalInput(
            term=d["term"], goal=d["goal"], starts_on=d["starts_on"], ends_on=d["ends_on"],
            supports=d["supports"], agency=d["agency"], resource=d["resource"], who=d["who"],
            referrals=tuple(d["referrals"]),
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            _add_errors(self, services.goal_errors(self.data_input(), plan=self.plan))
        return cleaned


class LinkReferralsForm(forms.Form):
    referrals = ReferralChoices(
        label=_("関連するつなぎ"), queryset=Referral.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args: Any, goal: PlanGoal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "referrals").queryset = Referral.objects.filter(
            case_id=goal.plan.case_id
        ).select_related("resource")
        if not self.is_bound:
            self.initial["referrals"] = list(goal.referrals.all())


class DecideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    meeting = MeetingChoice(
        label=_("決定した会議"), queryset=CaseMeeting.objects.none(),
        help_text=_("このケースを検討した支援会議・重層的支援会議から選びます。"),
    )  # fmt: skip

    def __init__(self, *args: Any, plan: SupportPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        # Every meeting of the municipality that discussed the case: a wrong kind or date gets
        # its message from the service rule instead of silently missing from the list.
        _model_field(self, "meeting").queryset = CaseMeeting.objects.filter(
            municipality_id=plan.case.municipality_id, cases=plan.case
        ).order_by("-held_on")
        if not self.is_bound:
            self.initial["version"] = plan.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            _add_errors(self, services.decision_errors(self.plan, cleaned.get("meeting")))
        return cleaned


class PlanDateForm(forms.Form):
    """Revise (a new version from a date, with its review date) or end a plan."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    on = DateField(label=_("日付"), widget=DateInput())
    next_review_on = DateField(
        label=_("新しい版の見直し予定日"), widget=DateInput(), required=False
    )

    def __init__(self, *args: Any, plan: SupportPlan, revise: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.revise = revise
        if not revise:
            del self.fields["next_review_on"]
        else:
            self.fields["next_review_on"].required = True
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.update(version=plan.version, on=today)
            if revise:
                self.initial["next_review_on"] = today + dt.timedelta(days=90)


class ReviewForm(SubmitOnceForm):
    reviewed_on = DateField(label=_("実施日"), widget=DateInput())
    next_review_on = DateField(label=_("次回の見直し予定日"), widget=DateInput(), required=False)
    stage = forms.ModelChoiceField(
        label=_("支援段階"), queryset=SupportStage.objects.none(), required=False,
        widget=forms.RadioSelect, empty_label=None,
        help_text=_("いまの本人の段階。前回より進んだかどうかは自動で記録されます。"),
    )  # fmt: skip
    steps = forms.ModelMultipleChoiceField(
        label=_("見られた変化（就労以外）"), queryset=ProgressStep.objects.none(),
        required=False, widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    notes = forms.CharField(
        label=_("評価の所見"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, plan: SupportPlan, closing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.closing = closing
        _model_field(self, "stage").queryset = SupportStage.objects.filter(active=True)
        _model_field(self, "steps").queryset = ProgressStep.objects.filter(active=True)
        if closing:
            del self.fields["next_review_on"]
        self.goals = list(plan.goals.all())
        for goal in self.goals:
            self.fields[f"result_{goal.pk}"] = forms.ChoiceField(
                label=goal.goal, choices=[("", "---------"), *GoalEvaluation.Result.choices],
                required=False,
            )  # fmt: skip
            self.fields[f"note_{goal.pk}"] = forms.CharField(
                label=_("メモ"), max_length=500, required=False
            )
        if not self.is_bound:
            today = timezone.localdate()
            self.initial["reviewed_on"] = today
            if not closing:
                self.initial["next_review_on"] = today + dt.timedelta(days=90)

    def goal_rows(self) -> list[tuple[PlanGoal, Any, Any]]:
        return [(g, self[f"result_{g.pk}"], self[f"note_{g.pk}"]) for g in self.goals]

    def data_input(self) -> services.ReviewInput:
        d = self.cleaned_data
        return services.ReviewInput(
            reviewed_on=d["reviewed_on"],
            next_review_on=d.get("next_review_on"),
            stage=d["stage"],
            steps=tuple(d["steps"]),
            notes=d["notes"],
            evaluations={
                g.pk: (d.get(f"result_{g.pk}") or "", d.get(f"note_{g.pk}") or "")
                for g in self.goals
            },
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            errors = services.review_errors(self.data_input(), plan=self.plan, closing=self.closing)
            if msgs := errors.pop("evaluations", None):
                missing = [g for g in self.goals if not cleaned.get(f"result_{g.pk}")]
                for goal in missing or self.goals:
                    self.add_error(f"result_{goal.pk}", msgs[0])
            _add_errors(self, errors)
        return cleaned


class ConsentForm(SubmitOnceForm):
    given_by = forms.ChoiceField(
        label=_("同意した人"), choices=Consent.GivenBy.choices, widget=forms.RadioSelect
    )
    given_by_name = forms.CharField(
        label=_("同意した人の氏名・続柄"), max_length=100, required=False,
        help_text=_("例：母 高知 花子"),
    )  # fmt: skip
    method = forms.ChoiceField(
        label=_("方法"), choices=Consent.Method.choices, widget=forms.RadioSelect
    )
    agency_kinds = forms.MultipleChoiceField(
        label=_("共有先（機関の種別）"), choices=Agency.Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    shared_with = forms.CharField(
        label=_("共有先（具体的に）"), max_length=300, required=False,
        help_text=_("例：市町村プラットフォームの構成機関、〇〇病院"),
    )  # fmt: skip
    valid_from = DateField(label=_("同意日"), widget=DateInput())
    valid_until = DateField(label=_("有効期限"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        if not self.is_bound:
            self.initial["valid_from"] = timezone.localdate()

    def data_input(self) -> services.ConsentInput:
        d = self.cleaned_data
        return services.ConsentInput(
            given_by=d["given_by"], given_by_name=d["given_by_name"], method=d["method"],
            agency_kinds=tuple(d["agency_kinds"]), shared_with=d["shared_with"],
            valid_from=d["valid_from"], valid_until=d["valid_until"],
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            _add_errors(self, services.consent_errors(self.data_input(), case=self.case))
        return cleaned


class WithdrawForm(forms.Form):
    on = DateField(label=_("撤回日"), widget=DateInput())
    note = forms.CharField(label=_("撤回の内容"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["on"] = timezone.localdate()


class ContactForm(forms.ModelForm[ContactDetail]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ContactDetail
        fields = ["phone", "address", "how_to_reach", "caution"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version

    def _post_clean(self) -> None:
        pass  # the service writes; the model's uniqueness is its business


class BasisForm(forms.Form):
    """One basis per case on the meeting; a consent-based meeting without consent warns."""

    confirm_missing_consent = forms.BooleanField(
        label=_("同意が確認できないケースがあることを承知のうえで保存する"), required=False
    )

    def __init__(self, *args: Any, meeting: CaseMeeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.cases = list(meeting.cases.select_related("person"))
        existing = {b.case_id: b for b in MeetingCaseBasis.objects.filter(meeting=meeting)}
        default = (
            MeetingCaseBasis.Basis.SUPPORT_MEETING
            if meeting.kind == CaseMeeting.Kind.SUPPORT
            else MeetingCaseBasis.Basis.CONSENT
        )
        for case in self.cases:
            self.fields[f"basis_{case.pk}"] = forms.ChoiceField(
                label=_("根拠"), choices=MeetingCaseBasis.Basis.choices,
                widget=forms.RadioSelect,
            )  # fmt: skip
            self.fields[f"statute_{case.pk}"] = forms.CharField(
                label=_("法令名・条項"), max_length=200, required=False,
                help_text=_("「その他の法令上の根拠」を選んだときに入力します。"),
            )  # fmt: skip
            if not self.is_bound:
                row = existing.get(case.pk)
                self.initial[f"basis_{case.pk}"] = row.basis if row else default
                self.initial[f"statute_{case.pk}"] = row.statute if row else ""

    def case_rows(self) -> list[tuple[Case, Any, Any]]:
        return [(c, self[f"basis_{c.pk}"], self[f"statute_{c.pk}"]) for c in self.cases]

    def rows(self) -> list[services.BasisInput]:
        d = self.cleaned_data
        return [
            services.BasisInput(
                case=c, basis=d[f"basis_{c.pk}"], statute=d.get(f"statute_{c.pk}") or ""
            )
            for c in self.cases
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        rows = self.rows()
        for row in rows:
            for message in services.basis_errors(self.meeting, row):
                self.add_error(f"basis_{row.case.pk}", message)
        missing = services.basis_warnings(self.meeting, rows)
        if missing and not cleaned.get("confirm_missing_consent"):
            self.add_error(
                "confirm_missing_consent", services.missing_consent_message(self.meeting, missing)
            )
        return cleaned
