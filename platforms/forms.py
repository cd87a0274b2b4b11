"""Forms validate and clean; the services in `platforms.services` write."""

from dataclasses import dataclass
from typing import Any, cast

import django_filters
from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts import scope
from accounts.models import User
from audit.services import filters_for_audit
from cases.filters import keyword_search
from cases.models import Case
from core.forms import (
    DateField,
    DateFilter,
    DateInput,
    JapaneseMessages,
    choice_field,
    model_choice_field,
)
from core.models import Jurisdiction, Municipality
from core.resubmission import SubmitOnceForm
from platforms import selectors
from platforms.models import Agency, CaseMeeting, MunicipalStatus, Platform


class CaseChoiceField(forms.ModelMultipleChoiceField[Case]):
    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.number}（{obj.get_status_display()}）"


@dataclass(frozen=True)
class CasePicker:
    """What the meeting form's case picker shows: the chosen cases first, then the cases
    matching the search (or the first ones when there is no search), and how many more."""

    query: str
    chosen: list[Case]
    results: list[Case]
    more: int


PICKER_LIMIT = 30


class AgencyChoiceField(forms.ModelMultipleChoiceField[Agency]):
    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class MunicipalityStepForm(JapaneseMessages, forms.Form):
    """Step one of a new meeting: which municipality held it (decides the case choices)."""

    municipality = forms.ModelChoiceField(
        label=_("開催した市町村"),
        queryset=Municipality.objects.none(),
        empty_label=_("選んでください"),
        error_messages={"invalid_choice": _("担当している市町村から選んでください。")},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "municipality").queryset = scope.personal_municipalities(
            user
        ).order_by("code")


class CaseMeetingForm(JapaneseMessages, SubmitOnceForm):
    held_on = DateField(label=_("開催日"), widget=DateInput())
    kind = forms.ChoiceField(label=_("種別"), choices=CaseMeeting.Kind.choices)
    supervision = forms.ChoiceField(
        label=_("県・センター・福祉保健所の支援（スーパーバイズ）"),
        choices=CaseMeeting.Supervision.choices,
        initial=CaseMeeting.Supervision.NONE,
        widget=forms.RadioSelect,
    )
    cases = CaseChoiceField(
        label=_("検討したケース"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "ケース番号・氏名・ふりがなで検索して選びます。選んだケースは上に表示されます。"
        ),
        error_messages={
            "invalid_choice": _("選択したケースは、この市町村のケースではないか、担当外です。"),
        },
    )
    agencies = AgencyChoiceField(
        label=_("参加機関"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    decisions = forms.CharField(
        label=_("決定事項"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("ケースの経過にも表示されます。氏名は書かず、ケース番号で記載してください。"),
    )
    minutes = forms.CharField(
        label=_("議事録（秘）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("この市町村の担当者だけが会議のページで閲覧できます。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        user: User,
        municipality: Municipality,
        meeting: CaseMeeting | None = None,
        **kwargs: Any,
    ) -> None:
        if meeting is not None:
            kwargs.setdefault(
                "initial",
                {
                    "held_on": meeting.held_on,
                    "kind": meeting.kind,
                    "supervision": meeting.supervision,
                    "cases": list(meeting.cases.values_list("pk", flat=True)),
                    "agencies": list(meeting.agencies.values_list("pk", flat=True)),
                    "decisions": meeting.decisions,
                    "minutes": meeting.minutes,
                    "version": meeting.version,
                },
            )
        super().__init__(*args, **kwargs)
        if meeting is not None:
            self.editing()  # an edit: guarded by the version, not by a submission token
        self.municipality = municipality
        initial = self.initial
        model_choice_field(self, "cases").queryset = selectors.case_choices(
            user, municipality, include_ids=initial.get("cases", ())
        )
        model_choice_field(self, "agencies").queryset = selectors.agency_choices(
            municipality, include_ids=initial.get("agencies", ())
        )

    def case_picker(self, query: str = "") -> CasePicker:
        if self.is_bound:
            raw = cast(QueryDict, self.data).getlist(self.add_prefix("cases"))
        else:
            raw = self.initial.get("cases", ())
        ids = [int(v) for v in raw if str(v).isdigit()]
        scoped = model_choice_field(self, "cases").queryset
        assert scoped is not None  # set in __init__
        choices = scoped.select_related("person")
        chosen = list(choices.filter(pk__in=ids))
        others = choices.exclude(pk__in=ids)
        query = query.strip()[:100]
        if query:
            others = keyword_search(others, query)
        results = list(others[: PICKER_LIMIT + 1])
        more = others.count() - PICKER_LIMIT if len(results) > PICKER_LIMIT else 0
        return CasePicker(query=query, chosen=chosen, results=results[:PICKER_LIMIT], more=more)

    def meeting_input(self) -> dict[str, Any]:
        """The meeting's own fields, as `meeting_create` and `meeting_update` take them."""
        names = ("held_on", "kind", "supervision", "cases", "agencies", "decisions", "minutes")
        return {name: self.cleaned_data[name] for name in names}

    def clean_cases(self) -> list[Any]:
        cases = list(self.cleaned_data["cases"])
        if any(case.municipality_id != self.municipality.pk for case in cases):
            raise forms.ValidationError(
                _("他の市町村のケースは検討できません。この市町村のケースだけを選んでください。")
            )
        return cases


class OwnerChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.label


class FollowUpActionForm(JapaneseMessages, SubmitOnceForm):
    description = forms.CharField(label=_("内容"), max_length=500)
    owner = OwnerChoiceField(
        label=_("担当者"), queryset=None, required=False, empty_label=_("未定")
    )
    due_on = DateField(label=_("期限"), required=False, widget=DateInput())

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "owner").queryset = selectors.action_owner_choices(municipality)


class PlatformForm(JapaneseMessages, forms.Form):
    status = forms.ChoiceField(
        label=_("設置状況"), choices=Platform.Status.choices, widget=forms.RadioSelect
    )
    established_on = DateField(
        label=_("設置日"),
        required=False,
        widget=DateInput(),
        help_text=_("設置済の場合は必須です。"),
    )
    coordinator: forms.ModelChoiceField[Agency] = forms.ModelChoiceField(
        label=_("事務局（コーディネーター）"),
        queryset=None,
        required=False,
        empty_label=_("なし"),
    )
    members = AgencyChoiceField(
        label=_("構成機関"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label=_("備考"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("個人が特定される内容は書かないでください。県職員も閲覧します。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, municipality: Municipality, platform: Platform | None, **kwargs: Any
    ) -> None:
        if platform is not None:
            member_ids = [a.pk for a in platform.members.all()]
            kwargs.setdefault(
                "initial",
                {
                    "status": platform.status,
                    "established_on": platform.established_on,
                    "coordinator": platform.coordinator_id,
                    "members": member_ids,
                    "notes": platform.notes,
                    "version": platform.version,
                },
            )
        else:
            kwargs.setdefault("initial", {"status": Platform.Status.NONE, "version": 0})
        super().__init__(*args, **kwargs)
        include = [*self.initial.get("members", ()), self.initial.get("coordinator")]
        agencies = selectors.agency_choices(municipality, include_ids=[i for i in include if i])
        model_choice_field(self, "coordinator").queryset = agencies
        model_choice_field(self, "members").queryset = agencies

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("status") == Platform.Status.ESTABLISHED and not data.get("established_on"):
            self.add_error("established_on", _("設置済の場合は設置日を入力してください。"))
        return data


class MunicipalStatusForm(JapaneseMessages, forms.Form):
    needs_assessed_on = DateField(
        label=_("実態・ニーズ把握日"),
        required=False,
        widget=DateInput(),
        help_text=_("この年度に実施した日。未実施なら空欄にしてください。"),
    )
    jusoteki = forms.BooleanField(label=_("重層的支援体制整備事業を実施"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, status: MunicipalStatus | None, **kwargs: Any) -> None:
        if status is not None:
            kwargs.setdefault(
                "initial",
                {
                    "needs_assessed_on": status.needs_assessed_on,
                    "jusoteki": status.jusoteki,
                    "version": status.version,
                },
            )
        else:
            kwargs.setdefault("initial", {"version": 0})
        super().__init__(*args, **kwargs)


SORT_CHOICES = [
    ("unmet", _("会議未実施を先頭に")),
    ("code", _("市町村コード順")),
    ("meetings", _("会議の件数が多い順")),
    ("last", _("最終開催日が古い順")),
]


class OverviewFilterForm(JapaneseMessages, forms.Form):
    fy = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    jurisdiction = forms.ModelChoiceField(
        label=_("管轄"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("すべて"),
    )
    sort = forms.ChoiceField(label=_("並び順"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "fy").choices = selectors.fiscal_year_choices()
        model_choice_field(self, "jurisdiction").queryset = scope.aggregate_jurisdictions(
            user
        ).order_by("sort_order", "id")


class MeetingFilter(django_filters.FilterSet):
    municipality = django_filters.ModelChoiceFilter(
        label=_("市町村"),
        # django-filter calls a callable with the request; its stubs only allow a queryset.
        queryset=lambda request: scope.personal_municipalities(request.user).order_by("code"),  # type: ignore[arg-type]  # a callable
        empty_label=_("すべて"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("種別"), choices=CaseMeeting.Kind.choices, empty_label=_("すべて")
    )
    held_from = DateFilter(
        label=_("開催日（から）"), field_name="held_on", lookup_expr="gte", widget=DateInput()
    )
    held_to = DateFilter(
        label=_("開催日（まで）"), field_name="held_on", lookup_expr="lte", widget=DateInput()
    )
    supervised = django_filters.ChoiceFilter(
        label=_("スーパーバイズ"),
        choices=[("yes", _("支援あり")), ("no", _("支援なし"))],
        empty_label=_("すべて"),
        method="filter_supervised",
    )

    class Meta:
        model = CaseMeeting
        fields: list[str] = []

    def audit_filters(self) -> dict[str, Any]:
        """Only the known filter keys, as ids and dates; nothing else of the query string."""
        if not self.is_bound or not self.is_valid():
            return {}
        return filters_for_audit(self.form.cleaned_data)

    def filter_supervised(self, queryset: Any, name: str, value: str) -> Any:
        if value == "yes":
            return queryset.exclude(supervision=CaseMeeting.Supervision.NONE)
        if value == "no":
            return queryset.filter(supervision=CaseMeeting.Supervision.NONE)
        return queryset
