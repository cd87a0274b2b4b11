from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.fiscal import fiscal_year_label, fiscal_year_range
from core.forms import DateField, DateInput, choice_field
from core.prefectures import prefecture_name
from kpi.scopes import Scope


def scope_choices(scopes: list[Scope]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The scope selector's option groups, in the order of `scopes` (widest first).

    Within one prefecture: one group per kind (都道府県, 管轄, 市町村). A user who sees several
    prefectures gets 全国 and 都道府県 first, then one group per prefecture holding its
    jurisdictions and municipalities (names repeat across prefectures: 府中市, 伊達市).
    """
    titles = {
        "national": _("全国"),
        "prefecture": _("都道府県"),
        "jurisdiction": _("管轄（福祉保健所）"),
        "municipality": _("市町村"),
    }
    several = len({s.prefecture_code for s in scopes if s.kind != "national"}) > 1
    english = get_language() == "en"
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for scope in scopes:
        by_prefecture = several and scope.kind in ("jurisdiction", "municipality")
        key = f"pref-{scope.prefecture_code}" if by_prefecture else scope.kind
        if key not in groups:
            title = (
                _("%(prefecture)s（管轄・市町村）")
                % {"prefecture": prefecture_name(scope.prefecture_code)}
                if by_prefecture
                else titles[scope.kind]
            )
            groups[key] = (str(title), [])
        groups[key][1].append((scope.token, scope.name_in(english=english)))
    # Kind groups first (in the order met), then the prefectures' groups by code.
    ordered = sorted(groups, key=lambda key: (1, key) if key.startswith("pref-") else (0, ""))
    return [groups[key] for key in ordered]


class ScopeSelect(forms.Select):
    """A select written out directly: a user who sees every prefecture has some 2,200 scopes,
    and Django's one template per option took a third of the national page's time (and
    `format_html` per option still 15 ms: each value is escaped once here instead)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        parts: list[str] = [format_html("<select{}>", flatatt(final))]
        for group, options in self.choices:
            parts.append(f'<optgroup label="{escape(str(group))}">')
            parts += [
                f'<option value="{escape(str(token))}"'
                f"{' selected' if str(token) in selected else ''}>{escape(str(label))}</option>"
                for token, label in options
            ]
            parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every value escaped above


class DashboardForm(forms.Form):
    """The dashboard's selectors (GET): fiscal year, scope and an optional report date."""

    fy = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False, empty_value=None)
    scope = forms.ChoiceField(label=_("範囲"), required=False, widget=ScopeSelect)
    as_of = DateField(
        label=_("基準日"),
        required=False,
        widget=DateInput(),
        help_text=_("空欄は今日（過去の年度は年度末）"),
    )

    def __init__(self, *args: Any, years: list[int], scopes: list[Scope], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "fy").choices = [(y, fiscal_year_label(y)) for y in years]
        choice_field(self, "scope").choices = scope_choices(scopes)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        fy, as_of = data.get("fy"), data.get("as_of")
        if fy is not None and as_of is not None:
            if as_of < fiscal_year_range(fy)[0]:
                self.add_error("as_of", _("基準日は選んだ年度の初日以降の日付にしてください。"))
            elif as_of > timezone.localdate():
                self.add_error("as_of", _("基準日に未来の日付は指定できません。"))
        return data
