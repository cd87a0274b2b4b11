"""Forms for cases. They validate and clean; the services write.

The rules themselves live in `cases.rules` (`consultation_errors`, `person_errors`,
`date_errors`; `cases.services.assignment_errors`, which reads the database) so that a form
shows, next to the field, exactly what the service enforces.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext_lazy as _

from accounts.access import assignable_users
from accounts.models import User
from accounts.scope import personal_municipalities
from cases.models import AgeBand, Case, Consultation, HouseholdMember, IssueTag, Person
from cases.rules import (
    ConsultationInput,
    PersonInput,
    consultation_errors,
    date_errors,
    person_errors,
)
from cases.services import assignment_errors
from core.forms import (
    DateField,
    DateInput,
    JapaneseMessages,
    YearField,
    choice_field,
    model_choice_field,
)
from core.models import Municipality
from core.resubmission import SubmitOnceForm
from core.tokens import SubmissionTokenField, issue_submission_token


def _add_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def counselor_choices(user: User, *, include: int | None = None) -> QuerySet[User]:
    """Who can be assigned a case: whoever may be assigned in one of the user's municipalities
    (`accounts.access.assignable_users`), the user, and whoever is assigned now (`include`).
    The form then checks the choice against the case's own municipality."""
    assignable = assignable_users(personal_municipalities(user))
    return (
        User.objects.filter(Q(is_active=True) | Q(pk=include))
        .filter(Q(pk=user.pk) | Q(pk=include) | Q(pk__in=assignable.values("pk")))
        .order_by("role", "username")
    )


class UserChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.label


# --- Person fields, shared by intake and edit -------------------------------------------------


class PersonFieldsMixin(JapaneseMessages, forms.Form):
    name = forms.CharField(
        label=_("本人の氏名"),
        max_length=100,
        required=False,
        help_text=_("まだ分からないときは空欄で構いません（家族のみの相談など）。"),
    )
    kana = forms.CharField(
        label=_("ふりがな"),
        max_length=100,
        required=False,
        help_text=_("ひらがな・カタカナ。同じ人の重複登録を防ぐために使います。"),
    )
    birth_year = YearField(
        label=_("生まれ年"),
        required=False,
        help_text=_("西暦（1975）でも和暦（S50、昭和50）でも入力できます。"),
        error_messages={"invalid": _("生まれ年は1900年以降の西暦4桁で入力してください。")},
    )
    person_age_band = forms.ChoiceField(
        label=_("年齢層"),
        choices=AgeBand.choices,
        initial=AgeBand.UNKNOWN,
        help_text=_("生まれ年が分かれば自動で決まります。"),
    )
    sex = forms.ChoiceField(label=_("性別"), choices=Person.Sex.choices, initial="unknown")

    def person_input(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(
            name=data.get("name", ""),
            kana=data.get("kana", ""),
            birth_year=data.get("birth_year"),
            age_band=data.get("person_age_band") or AgeBand.UNKNOWN,
            sex=data.get("sex") or Person.Sex.UNKNOWN,
        )

    def clean_person(self) -> None:
        _add_errors(self, person_errors(self.person_input()))


# --- Consultation fields ------------------------------------------------------------------


CONSULTATION_WIDGETS: dict[str, forms.Widget | type[forms.Widget]] = {
    "date": DateInput(),
    "next_action_date": DateInput(),
    # Any whole minute from 1 (the server's rule): no step, so 12 is accepted.
    "duration_minutes": forms.NumberInput(
        attrs={"inputmode": "numeric", "min": 1, "max": 1440, "step": 1}
    ),
    # The home page's 「記録する」 opens the case at #record: the cursor goes to 内容 (forms.js).
    "notes": forms.Textarea(attrs={"rows": 4, "data-focus-on-hash": "record"}),
    "method": forms.RadioSelect,
    "with_whom": forms.RadioSelect,
}


class ConsultationForm(JapaneseMessages, SubmitOnceForm, forms.ModelForm[Consultation]):
    """A consultation on a case; new ones carry a submission token (one submit, one record:
    core/resubmission.py), edits carry the version they started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Consultation
        fields = [
            "date",
            "method",
            "with_whom",
            "duration_minutes",
            "notes",
            "next_action",
            "next_action_date",
        ]
        widgets = CONSULTATION_WIDGETS
        field_classes = {"date": DateField, "next_action_date": DateField}
        error_messages = {
            "date": {"required": _("相談日を入力してください。")},
            "method": {"required": _("方法を選んでください。")},
            "with_whom": {"required": _("相手を選んでください。")},
        }
        help_texts = {
            "duration_minutes": _("来所・訪問・同行のときは必須"),
            "next_action_date": _("ホーム画面の「今日の対応」に表示されます。"),
        }

    def __init__(self, *args: Any, case: Case, with_whom: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        choice_field(self, "method").choices = Consultation.Method.choices
        choice_field(self, "with_whom").choices = Consultation.WithWhom.choices
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.__dict__["last"] = None
            self.editing()
        else:
            del self.fields["version"]
            self.fields["date"].initial = timezone.localdate()
            # The usual follow-up is a phone call.
            self.fields["method"].initial = Consultation.Method.PHONE
            # 相手 is never filled in from last time (a wrong 相手 got saved that way): it is
            # shown as a hint, and chosen here or by the home page's 「家族と記録する」.
            if with_whom in Consultation.WithWhom.values:
                self.fields["with_whom"].initial = with_whom
            self.fields["with_whom"].help_text = lazy(self._last_with_whom, str)()

    @cached_property
    def last(self) -> Consultation | None:
        """The case's latest consultation, shown with the form: what was due, and whom it was
        with (the hint under 相手 is lazy, so the case page can give it from its timeline
        first: `use_latest_of`)."""
        return self.case.consultations.order_by("-date", "-id").first()

    def use_latest_of(self, consultations: Iterable[Consultation]) -> None:
        """Take `last` from the case's consultations already read (the case page's timeline
        holds every one of them) instead of a query."""
        if "last" not in self.__dict__:
            self.__dict__["last"] = max(consultations, key=lambda c: (c.date, c.pk), default=None)

    def _last_with_whom(self) -> str:
        if self.last is None:
            return ""
        return _("前回の相手：%(who)s") % {"who": self.last.get_with_whom_display()}

    def consultation_input(self) -> ConsultationInput:
        data = self.cleaned_data
        return ConsultationInput(
            date=data["date"],
            method=data.get("method", ""),
            with_whom=data.get("with_whom", ""),
            duration_minutes=data.get("duration_minutes"),
            notes=data.get("notes", ""),
            next_action=data.get("next_action", ""),
            next_action_date=data.get("next_action_date"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk and data.get("version") is None:
            raise forms.ValidationError(_("画面を開き直してから、もう一度入力してください。"))
        if data.get("date"):
            errors = consultation_errors(
                self.consultation_input(), intake_date=self.case.intake_date
            )
            _add_errors(self, {f: m for f, m in errors.items() if f not in self.errors})
        return data

    def _post_clean(self) -> None:
        # The service validates and writes; the model's own checks would duplicate messages.
        pass


# --- Intake -------------------------------------------------------------------------------


class IntakeForm(PersonFieldsMixin):
    """One form: the case, the person (or a choice among possible duplicates) and the first
    consultation, recorded together at intake."""

    submission_token = SubmissionTokenField()
    confirm_duplicate = forms.BooleanField(
        label=_("同じ内容でもう1件受付する（二重登録ではありません）"), required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("市町村"),
        queryset=Municipality.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("市町村を選んでください。"),
            "invalid_choice": _("担当している市町村から選んでください。"),
        },
    )
    intake_date = DateField(
        label=_("受理日（相談日）"),
        widget=DateInput(),
        error_messages={"required": _("受理日を入力してください。")},
    )
    intake_route = forms.ChoiceField(
        label=_("相談経路"),
        choices=[("", _("選択してください")), *Case.Route.choices],
        error_messages={"required": _("相談経路を選んでください。")},
    )
    visitor = forms.ChoiceField(
        error_messages={"required": _("来談者を選んでください。")},
        label=_("来談者"),
        choices=Case.Visitor.choices,
        widget=forms.RadioSelect,
        initial=Case.Visitor.FAMILY,
        help_text=_("実際に相談に来た人（本人とは限りません）"),
    )
    # The one age band at intake (it is also the person's): 「不明」 derives it from the birth year.
    person_age_band = None  # type: ignore[assignment]  # removes the mixin's field
    age_band_at_intake = forms.ChoiceField(
        label=_("年齢層（受理時）"),
        choices=AgeBand.choices,
        initial=AgeBand.UNKNOWN,
        help_text=_("「不明」のときは生まれ年から決まります。"),
    )
    withdrawal_duration = forms.ChoiceField(
        label=_("ひきこもり期間"),
        choices=Case.WithdrawalDuration.choices,
        initial=Case.WithdrawalDuration.UNKNOWN,
    )
    issue_tags = forms.ModelMultipleChoiceField(
        label=_("複合課題"),
        queryset=IssueTag.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assigned_counselor = UserChoiceField(
        label=_("担当相談員"), queryset=User.objects.none(), required=False
    )
    household_notes = forms.CharField(
        label=_("世帯の状況"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例：80代の母と二人暮らし。母は要介護2。"),
    )
    # First consultation.
    method = forms.ChoiceField(
        label=_("方法"),
        error_messages={"required": _("方法を選んでください。")},
        choices=Consultation.Method.choices,
        widget=forms.RadioSelect,
        initial=Consultation.Method.PHONE,
    )
    with_whom = forms.ChoiceField(
        label=_("相手"),
        error_messages={"required": _("相手を選んでください。")},
        choices=Consultation.WithWhom.choices,
        widget=forms.RadioSelect,
        initial=Consultation.WithWhom.FAMILY,
    )
    duration_minutes = forms.IntegerField(
        label=_("所要時間（分）"),
        required=False,
        help_text=_("来所・訪問・同行のときは必須"),
        widget=CONSULTATION_WIDGETS["duration_minutes"],
    )
    notes = forms.CharField(
        label=_("相談内容"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    next_action = forms.CharField(label=_("次の対応"), max_length=500, required=False)
    next_action_date = DateField(label=_("次の対応日"), required=False, widget=DateInput())
    # The duplicate step: "new", or the id of an existing person.
    person_choice = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        scope = personal_municipalities(user).order_by("code")
        model_choice_field(self, "municipality").queryset = scope
        model_choice_field(self, "assigned_counselor").queryset = counselor_choices(user)
        if not self.is_bound:
            self.fields["submission_token"].initial = issue_submission_token()
            self.fields["intake_date"].initial = timezone.localdate()
            self.fields["assigned_counselor"].initial = user.pk
            own = list(user.municipalities.values_list("pk", flat=True))
            if len(own) == 1:
                self.fields["municipality"].initial = own[0]
            else:
                model_choice_field(self, "municipality").empty_label = "---------"

    def person_input(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(
            name=data.get("name", ""),
            kana=data.get("kana", ""),
            birth_year=data.get("birth_year"),
            age_band=data.get("age_band_at_intake") or AgeBand.UNKNOWN,
            sex=data.get("sex") or Person.Sex.UNKNOWN,
        )

    def consultation_input(self) -> ConsultationInput:
        data = self.cleaned_data
        return ConsultationInput(
            date=data["intake_date"],
            method=data.get("method", ""),
            with_whom=data.get("with_whom", ""),
            duration_minutes=data.get("duration_minutes"),
            notes=data.get("notes", ""),
            next_action=data.get("next_action", ""),
            next_action_date=data.get("next_action_date"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.clean_person()
        intake_date = data.get("intake_date")
        if intake_date:
            errors = consultation_errors(self.consultation_input(), intake_date=intake_date)
            errors.pop("date", None)  # the first consultation is on the intake date
            errors["intake_date"] = date_errors(intake_date)
            _add_errors(self, {f: m for f, m in errors.items() if f not in self.errors})
        municipality = data.get("municipality")
        if municipality is not None:
            assigned = data.get("assigned_counselor")
            _add_errors(
                self, {"assigned_counselor": assignment_errors(self.user, assigned, municipality)}
            )
        return data

    def chosen_person(self) -> Person | None:
        """The existing person picked on the duplicate step, if any (scope-checked)."""
        choice = self.cleaned_data.get("person_choice") or ""
        if not choice.isdigit():
            return None
        return (
            Person.objects.in_scope(self.user)
            .filter(pk=int(choice), municipality=self.cleaned_data["municipality"])
            .first()
        )


# --- Case edit ----------------------------------------------------------------------------


class CaseEditForm(PersonFieldsMixin):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("状況"),
        choices=[
            (Case.Status.INTAKE, Case.Status.INTAKE.label),
            (Case.Status.ASSESSMENT, Case.Status.ASSESSMENT.label),
            (Case.Status.ACTIVE, Case.Status.ACTIVE.label),
        ],
        help_text=_("終結・中断・再開は、ケース画面のボタンから日付と理由を入力して行います。"),
    )
    intake_route = forms.ChoiceField(label=_("相談経路"), choices=Case.Route.choices)
    visitor = forms.ChoiceField(
        label=_("来談者"), choices=Case.Visitor.choices, widget=forms.RadioSelect
    )
    age_band_at_intake = forms.ChoiceField(label=_("受理時の年齢層"), choices=AgeBand.choices)
    withdrawal_duration = forms.ChoiceField(
        label=_("ひきこもり期間"), choices=Case.WithdrawalDuration.choices
    )
    issue_tags = forms.ModelMultipleChoiceField(
        label=_("複合課題"),
        queryset=IssueTag.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assigned_counselor = UserChoiceField(
        label=_("担当相談員"), queryset=User.objects.none(), required=False
    )
    household_notes = forms.CharField(
        label=_("世帯の状況"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.user = user
        model_choice_field(self, "assigned_counselor").queryset = counselor_choices(
            user, include=case.assigned_counselor_id
        )
        if not case.is_open:
            choice_field(self, "status").choices = [(case.status, case.get_status_display())]
            self.fields["status"].disabled = True
        if not self.is_bound:
            person = case.person
            household = getattr(person, "household", None)
            self.initial.update(
                version=case.version,
                status=case.status,
                intake_route=case.intake_route,
                visitor=case.visitor,
                age_band_at_intake=case.age_band_at_intake,
                withdrawal_duration=case.withdrawal_duration,
                issue_tags=list(case.issue_tags.all()),
                assigned_counselor=case.assigned_counselor_id,
                household_notes=household.notes if household else "",
                name=person.name,
                kana=person.kana,
                birth_year=person.birth_year,
                person_age_band=person.age_band,
                sex=person.sex,
            )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.clean_person()
        _add_errors(
            self,
            {
                "assigned_counselor": assignment_errors(
                    self.user,
                    data.get("assigned_counselor"),
                    self.case.municipality,
                    current=self.case.assigned_counselor_id,
                )
            },
        )
        return data


# --- Status changes -----------------------------------------------------------------------


class StatusChangeForm(JapaneseMessages, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    on = DateField(label=_("日付"), widget=DateInput())
    end_reason = forms.ChoiceField(
        label=_("理由の区分"),
        choices=Case.EndReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("終結・中断の理由の区分を選んでください。")},
    )
    reason = forms.CharField(
        label=_("理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(
        self,
        *args: Any,
        case: Case,
        date_label: str,
        reason_help: str,
        with_end_reason: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["on"].label = date_label
        self.fields["reason"].help_text = reason_help
        if not with_end_reason:
            # Reopening: no category, the free text is the reason.
            del self.fields["end_reason"]
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = _("理由を入力してください。")
        if not self.is_bound:
            self.initial.update(version=case.version, on=timezone.localdate())

    def clean_on(self) -> dt.date:
        on: dt.date = self.cleaned_data["on"]
        for message in date_errors(on, not_before=self.case.intake_date):
            raise forms.ValidationError(message)
        return on

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (
            data.get("end_reason") == Case.EndReason.OTHER
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("「その他」のときは、理由を入力してください。"))
        return data


# --- Household ------------------------------------------------------------------------------


class HouseholdMemberForm(JapaneseMessages, SubmitOnceForm, forms.ModelForm[HouseholdMember]):
    """A household member; adding one carries a submission token (core/resubmission.py)."""

    class Meta:
        model = HouseholdMember
        fields = ["name", "relationship", "age_band", "needs_care", "young_carer", "circumstances"]
        widgets = {"circumstances": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "needs_care": _("介護保険の要介護・要支援、または日常的な介護が必要"),
            "young_carer": _("18歳未満で家族の世話や介護を担っている"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.editing()

    def member_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self) -> None:
        pass
