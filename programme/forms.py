"""Forms for the programme: they validate and clean; the services write.

The rules live in `programme.services` (`entry_errors`, `outreach_errors`…): the forms show the
same messages next to the fields.
"""

from typing import Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrPromise

from accounts.scope import personal_municipalities
from accounts.types import User
from cases.models import AgeBand, Case
from core.forms import DateInput
from core.models import Jurisdiction, Municipality
from core.resubmission import SubmitOnceForm
from programme.models import (
    OutreachAttempt,
    PublicityAction,
    SupervisionRequest,
    SurveyEntry,
    TrainingEvent,
)
from programme.services import (
    EntryInput,
    OutreachInput,
    PublicityInput,
    TrainingInput,
    entry_errors,
    outreach_errors,
)


def _add_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        for message in messages:
            if name not in form.errors:
                form.add_error(name if name in form.fields else None, message)


def set_queryset(form: forms.Form, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class EntryForm(SubmitOnceForm):
    municipality = forms.ModelChoiceField(
        label=_("市町村"),
        queryset=Municipality.objects.none(),
        error_messages={
            "required": _("市町村を選んでください。"),
            "invalid_choice": _("担当している市町村から選んでください。"),
        },
    )
    reported_on = forms.DateField(
        label=_("把握日"),
        widget=DateInput(),
        error_messages={"required": _("把握日を入力してください。")},
    )
    reporter = forms.ChoiceField(
        label=_("把握の経路"),
        choices=[("", "---------"), *SurveyEntry.Reporter.choices],
        error_messages={"required": _("把握の経路を選んでください。")},
    )
    reporter_note = forms.CharField(
        label=_("報告者"), max_length=200, required=False, help_text=_("例：〇〇地区の民生委員")
    )
    age_band = forms.ChoiceField(label=_("年齢層"), choices=AgeBand.choices, initial="unknown")
    withdrawal_duration = forms.ChoiceField(
        label=_("ひきこもり期間"), choices=Case.WithdrawalDuration.choices, initial="unknown"
    )
    household = forms.ChoiceField(
        label=_("世帯の状況"), choices=SurveyEntry.HouseholdType.choices, initial="unknown"
    )
    agency_involved = forms.BooleanField(label=_("関わっている機関あり"), required=False)
    agency_note = forms.CharField(label=_("関わっている機関"), max_length=200, required=False)
    name = forms.CharField(
        label=_("氏名（任意）"),
        max_length=100,
        required=False,
        help_text=_("報告者から聞いている場合のみ"),
    )
    address = forms.CharField(label=_("住所（任意）"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("把握の内容"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_outreach_on = forms.DateField(
        label=_("次のアウトリーチ予定日"),
        required=False,
        widget=DateInput(),
        help_text=_("ホーム画面の「アウトリーチの予定」に表示されます。"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, "municipality", personal_municipalities(user).order_by("code"))
        if not self.is_bound:
            self.fields["reported_on"].initial = timezone.localdate()
            own = list(user.municipalities.values_list("pk", flat=True))
            if len(own) == 1:
                self.fields["municipality"].initial = own[0]

    def entry_input(self) -> EntryInput:
        d = self.cleaned_data
        return EntryInput(
            reported_on=d["reported_on"],
            reporter=d.get("reporter", ""),
            reporter_note=d.get("reporter_note", ""),
            age_band=d.get("age_band") or AgeBand.UNKNOWN,
            withdrawal_duration=d.get("withdrawal_duration") or Case.WithdrawalDuration.UNKNOWN,
            household=d.get("household") or SurveyEntry.HouseholdType.UNKNOWN,
            agency_involved=bool(d.get("agency_involved")),
            agency_note=d.get("agency_note", ""),
            name=d.get("name", ""),
            address=d.get("address", ""),
            notes=d.get("notes", ""),
            next_outreach_on=d.get("next_outreach_on"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reported_on"):
            _add_errors(self, entry_errors(self.entry_input()))
        return data


class OutreachForm(SubmitOnceForm):
    date = forms.DateField(
        label=_("実施日"),
        widget=DateInput(),
        error_messages={"required": _("実施日を入力してください。")},
    )
    method = forms.ChoiceField(
        label=_("方法"),
        choices=OutreachAttempt.Method.choices,
        widget=forms.RadioSelect,
        initial=OutreachAttempt.Method.VISIT,
        error_messages={"required": _("方法を選んでください。")},
    )
    outcome = forms.ChoiceField(
        label=_("結果"),
        choices=OutreachAttempt.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("結果を選んでください。")},
    )
    two_person = forms.BooleanField(label=_("2人で訪問"), required=False)
    companion = forms.CharField(
        label=_("同行者"), max_length=200, required=False, help_text=_("例：地区の民生委員")
    )
    notes = forms.CharField(
        label=_("記録"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_outreach_on = forms.DateField(
        label=_("次のアウトリーチ予定日"), required=False, widget=DateInput()
    )

    def __init__(self, *args: Any, entry: SurveyEntry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry = entry
        if not self.is_bound:
            self.fields["date"].initial = timezone.localdate()

    def outreach_input(self) -> OutreachInput:
        d = self.cleaned_data
        return OutreachInput(
            date=d["date"],
            method=d.get("method", ""),
            outcome=d.get("outcome", ""),
            two_person=bool(d.get("two_person")),
            companion=d.get("companion", ""),
            notes=d.get("notes", ""),
            next_outreach_on=d.get("next_outreach_on"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date"):
            _add_errors(self, outreach_errors(self.outreach_input(), entry=self.entry))
        return data


class EntryCloseForm(forms.Form):
    closed_on = forms.DateField(
        label=_("対応終了日"),
        widget=DateInput(),
        error_messages={"required": _("対応終了日を入力してください。")},
    )
    reason = forms.CharField(
        label=_("対応終了の理由"),
        max_length=300,
        error_messages={"required": _("対応終了の理由を入力してください。")},
        help_text=_("例：転居した、他の機関の支援を受けている"),
    )


class SupervisionRequestForm(SubmitOnceForm):
    requested_on = forms.DateField(
        label=_("依頼日"),
        widget=DateInput(),
        error_messages={"required": _("依頼日を入力してください。")},
    )
    question = forms.CharField(
        label=_("相談したいこと"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("相談したいことを入力してください。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["requested_on"].initial = timezone.localdate()


class SupervisionAcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    accepted_on = forms.DateField(
        label=_("受諾日"),
        widget=DateInput(),
        error_messages={"required": _("受諾日を入力してください。")},
    )
    body = forms.ChoiceField(
        label=_("実施機関"),
        choices=SupervisionRequest.Body.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("実施機関を選んでください。")},
    )
    jurisdiction = forms.ModelChoiceField(
        label=_("福祉保健所"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        help_text=_("福祉保健所が実施するとき"),
    )
    supervisor_name = forms.CharField(
        label=_("スーパーバイザー"),
        max_length=100,
        error_messages={"required": _("スーパーバイザーの名前を入力してください。")},
    )

    def __init__(self, *args: Any, item: SupervisionRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(
            self,
            "jurisdiction",
            Jurisdiction.objects.filter(prefecture_code=item.municipality.prefecture_code),
        )
        if not self.is_bound:
            self.fields["version"].initial = item.version
            self.fields["accepted_on"].initial = timezone.localdate()
            self.fields["jurisdiction"].initial = item.municipality.jurisdiction_id


class SupervisionGiveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    given_on = forms.DateField(
        label=_("実施日"),
        widget=DateInput(),
        error_messages={"required": _("実施日を入力してください。")},
    )
    advice = forms.CharField(
        label=_("助言の内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("議事録とは別に記録されます。"),
        error_messages={"required": _("助言の内容を入力してください。")},
    )

    def __init__(self, *args: Any, item: SupervisionRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = item.version
            self.fields["given_on"].initial = timezone.localdate()


class SupervisionCloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.ChoiceField(
        choices=[
            (SupervisionRequest.Status.DECLINED, SupervisionRequest.Status.DECLINED.label),
            (SupervisionRequest.Status.WITHDRAWN, SupervisionRequest.Status.WITHDRAWN.label),
        ],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("理由"),
        max_length=300,
        error_messages={"required": _("理由を入力してください。")},
    )


class PrefectureRecordForm(SubmitOnceForm):
    """What the create forms of a training event and a publicity action share (the models'
    `PrefectureRecord`): the title, and the area it was for (`area_field`), chosen among the
    jurisdictions the user records for; empty is 県全域. A prefecture-wide record is the
    centre's and admins' alone: the service refuses it and the page says `wide_refusal` on the
    area field (programme.views._record_create)."""

    area_field: ClassVar[str]
    wide_refusal: ClassVar[StrPromise]

    title = forms.CharField(
        label=_("名称"), max_length=200, error_messages={"required": _("名称を入力してください。")}
    )

    def __init__(self, *args: Any, jurisdictions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_queryset(self, self.area_field, self.area_choices(jurisdictions))

    @staticmethod
    def area_choices(jurisdictions: Any) -> Any:
        """The areas offered, from the user's jurisdictions."""
        raise NotImplementedError


def _area(
    label: StrPromise, model: type[Jurisdiction | Municipality]
) -> forms.ModelChoiceField[Any]:
    """A record's area: one of `model`, or none for the whole prefecture."""
    return forms.ModelChoiceField(
        label=label, queryset=model.objects.none(), required=False, empty_label=_("県全域")
    )


class TrainingEventForm(PrefectureRecordForm):
    area_field = "jurisdiction"
    wide_refusal = _("県全域の研修は、センターと管理者が登録します。")

    kind = forms.ChoiceField(label=_("種別"), choices=TrainingEvent.Kind.choices)
    held_on = forms.DateField(
        label=_("開催日"),
        widget=DateInput(),
        error_messages={"required": _("開催日を入力してください。")},
    )
    jurisdiction = _area(_("管轄"), Jurisdiction)
    organiser = forms.CharField(
        label=_("主催"), max_length=200, error_messages={"required": _("主催を入力してください。")}
    )
    audience = forms.ChoiceField(
        label=pgettext_lazy("training audience", "対象"), choices=TrainingEvent.Audience.choices
    )
    notes = forms.CharField(
        label=_("内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    @staticmethod
    def area_choices(jurisdictions: Any) -> Any:
        return jurisdictions

    def training_input(self) -> TrainingInput:
        d = self.cleaned_data
        return TrainingInput(
            title=d["title"],
            kind=d["kind"],
            held_on=d["held_on"],
            organiser=d["organiser"],
            audience=d["audience"],
            jurisdiction=d.get("jurisdiction"),
            notes=d.get("notes", ""),
        )


class AttendanceForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("市町村"),
        queryset=Municipality.objects.none(),
        required=False,
        empty_label=_("県・広域の機関"),
    )
    agency = forms.CharField(
        label=_("所属機関"),
        max_length=200,
        help_text=_("例：市町村担当課、社会福祉協議会、民生委員"),
        error_messages={"required": _("所属機関を入力してください。")},
    )
    attendees = forms.IntegerField(
        label=_("参加人数"),
        min_value=1,
        max_value=10000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("参加人数を入力してください。"),
            "min_value": _("参加人数は1人以上で入力してください。"),
        },
    )

    def __init__(self, *args: Any, event: TrainingEvent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = Municipality.objects.filter(prefecture_code=event.prefecture_code)
        if event.jurisdiction_id:
            qs = qs.filter(jurisdiction=event.jurisdiction_id)
        set_queryset(self, "municipality", qs.order_by("code"))


class PublicityForm(PrefectureRecordForm):
    area_field = "municipality"
    wide_refusal = _("県全域の広報は、センターと管理者が登録します。")
    field_order = ["kind", "title"]  # the error summary's order, as before the shared base

    kind = forms.ChoiceField(label=_("種別"), choices=PublicityAction.Kind.choices)
    done_on = forms.DateField(
        label=_("実施日"),
        widget=DateInput(),
        error_messages={"required": _("実施日を入力してください。")},
    )
    municipality = _area(_("市町村"), Municipality)
    where = forms.CharField(
        label=_("配布・掲載先"),
        max_length=300,
        help_text=_("例：市役所・公民館・スーパー"),
        error_messages={"required": _("配布・掲載先を入力してください。")},
    )
    quantity = forms.IntegerField(
        label=_("部数・枚数"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    @staticmethod
    def area_choices(jurisdictions: Any) -> Any:
        return Municipality.objects.filter(jurisdiction__in=jurisdictions).order_by("code")

    def publicity_input(self) -> PublicityInput:
        d = self.cleaned_data
        return PublicityInput(
            kind=d["kind"],
            title=d["title"],
            done_on=d["done_on"],
            where=d["where"],
            quantity=d.get("quantity"),
            municipality=d.get("municipality"),
        )
