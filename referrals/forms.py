"""Forms for referrals and employment outcomes. They validate; services write."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DateField, DateInput, JapaneseMessages, model_choice_field
from core.resubmission import SubmitOnceForm
from referrals.models import EmploymentOutcome, Referral, Resource, ResourceKind


class ResourceChoiceField(forms.ModelChoiceField[Resource]):
    def label_from_instance(self, obj: Resource) -> str:
        place = obj.municipality.name if obj.municipality else _("県全域")
        return f"{obj.kind.name}｜{obj.name}（{place}）"


class ReferralCreateForm(JapaneseMessages, forms.Form):
    resource = ResourceChoiceField(
        label=_("つなぎ先（社会資源）"),
        queryset=Resource.objects.none(),
        empty_label=_("選んでください"),
    )
    proposed_on = DateField(
        label=_("提案日"), widget=DateInput(), help_text=_("本人・家族につなぎ先を提案した日")
    )

    def __init__(self, *args: Any, resources: QuerySet[Resource], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("proposed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        model_choice_field(self, "resource").queryset = resources


class TransitionForm(JapaneseMessages, forms.Form):
    """One step of a referral. Each button on the referral page is one of these."""

    ACTIONS = {
        "arrange": Referral.Status.ARRANGING,
        "connect": Referral.Status.CONNECTED,
        "end": Referral.Status.ENDED,
        "not_realise": Referral.Status.NOT_REALISED,
    }

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    on = DateField(label=_("日付"), widget=DateInput())
    reason = forms.ChoiceField(
        label=_("不成立の理由"),
        choices=[("", _("選んでください")), *Referral.NotRealisedReason.choices],
        error_messages={"required": _("不成立の理由を選んでください。")},
    )
    detail = forms.CharField(
        label=_("理由の詳細"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("「その他」のときは必須")}),
    )

    def __init__(self, *args: Any, referral: Referral, action: str = "", **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("on", timezone.localdate())
        initial.setdefault("version", referral.version)
        if action:
            initial.setdefault("action", action)
        super().__init__(*args, **kwargs)
        prefix = action or (self.data.get("action") if self.is_bound else "") or "t"
        self.auto_id = f"id_{prefix}_%s"
        if (action or self.data.get("action")) != "not_realise":
            del self.fields["reason"]
            del self.fields["detail"]

    @property
    def target(self) -> str:
        return self.ACTIONS[self.cleaned_data["action"]]


class NoteForm(JapaneseMessages, SubmitOnceForm):
    date = DateField(label=_("日付"), widget=DateInput())
    text = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("利用の様子、本人・家族・つなぎ先からの連絡など"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


JUDGEMENT_CHOICES = [
    ("auto", _("自動で判定する（このシステムのつなぎの記録から）")),
    ("manual_yes", _("手動: 中間的就労等を経た（システム外の就労訓練など）")),
    ("manual_no", _("手動: 中間的就労等を経ていない")),
]


class EmploymentForm(JapaneseMessages, SubmitOnceForm):
    started_on = DateField(label=_("就労開始日"), widget=DateInput())
    employment_type = forms.ChoiceField(
        label=_("就労の形態"),
        choices=[("", _("選んでください")), *EmploymentOutcome.EmploymentType.choices],
    )
    judgement = forms.ChoiceField(
        label=_("中間的就労等を経たか"),
        choices=JUDGEMENT_CHOICES,
        widget=forms.RadioSelect,
        initial="auto",
        help_text=_(
            "自動判定: 就労開始日かそれ以前に、就労訓練・中間的就労などの種別の社会資源に"
            "「つながった」記録があれば「経た」になります（同じ日を含む）。"
        ),
    )
    manual_reason = forms.CharField(
        label=_("手動で判定する理由"),
        max_length=500,
        required=False,
        help_text=_("例: 県外の就労訓練事業所を利用していた（手動の場合は必須）"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.editing()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("judgement", "auto") != "auto" and not data.get("manual_reason", "").strip():
            self.add_error("manual_reason", _("手動で判定する場合は理由を入力してください。"))
        return data

    @property
    def manual_after_intermediate(self) -> bool | None:
        return {"auto": None, "manual_yes": True, "manual_no": False}[
            self.cleaned_data["judgement"]
        ]

    @staticmethod
    def initial_for(outcome: EmploymentOutcome) -> dict[str, Any]:
        if outcome.after_intermediate_source == EmploymentOutcome.Source.AUTOMATIC:
            judgement = "auto"
        else:
            judgement = "manual_yes" if outcome.after_intermediate else "manual_no"
        return {
            "started_on": outcome.started_on,
            "employment_type": outcome.employment_type,
            "judgement": judgement,
            "manual_reason": outcome.manual_reason,
            "version": outcome.version,
        }


class ConfigChangeForm(forms.Form):
    """The common part of a configuration change: from when, and why."""

    effective_from = forms.DateField(
        label=_("適用開始日"),
        widget=DateInput(),
        help_text=_(
            "この日以降につながった記録から新しい設定で数えます（今年度の初日以降）。"
            "それより前の記録と過去の年度の実績は変わりません。"
        ),
    )
    reason = forms.CharField(label=_("変更の理由"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("effective_from", timezone.localdate())
        super().__init__(*args, **kwargs)


class KindSettingsForm(ConfigChangeForm):
    counts_as_ibasho = forms.BooleanField(label=_("「居場所等」に数える"), required=False)
    is_work_training = forms.BooleanField(label=_("中間的就労・就労訓練"), required=False)
    field_order = ["counts_as_ibasho", "is_work_training", "effective_from", "reason"]


class ResourceKindForm(ConfigChangeForm):
    kind = forms.ModelChoiceField(
        label=_("新しい種別"), queryset=ResourceKind.objects.all(), empty_label=_("選んでください")
    )
    field_order = ["kind", "effective_from", "reason"]
