from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fiscal import fiscal_year_label, fiscal_year_range
from kpi.scopes import Scope


class DashboardForm(forms.Form):
    """The dashboard's selectors (GET): fiscal year, scope and an optional report date."""

    fy = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False, empty_value=None)
    scope = forms.ChoiceField(label=_("範囲"), required=False)
    as_of = forms.DateField(
        label=_("基準日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("空欄は今日（過去の年度は年度末）"),
    )

    def __init__(self, *args: Any, years: list[int], scopes: list[Scope], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = [(y, fiscal_year_label(y)) for y in years]
        groups: dict[str, list[tuple[str, str]]] = {}
        titles = {
            "prefecture": _("都道府県"),
            "jurisdiction": _("管轄（福祉保健所）"),
            "municipality": _("市町村"),
        }
        for scope in scopes:
            groups.setdefault(scope.kind, []).append((scope.token, scope.name))
        self.fields["scope"].choices = [
            (str(titles[kind]), options) for kind, options in groups.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        fy, as_of = data.get("fy"), data.get("as_of")
        if fy is not None and as_of is not None:
            if as_of < fiscal_year_range(fy)[0]:
                self.add_error("as_of", _("基準日は選んだ年度の初日以降の日付にしてください。"))
            elif as_of > timezone.localdate():
                self.add_error("as_of", _("基準日に未来の日付は指定できません。"))
        return data
