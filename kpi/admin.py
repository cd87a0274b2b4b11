"""Admins edit targets, baselines and survey counts here; every change is audited (by the
admin site itself: accounts.admin_site.GuardedAdmin)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kpi.models import Baseline, Indicator, SurveyCount, Target


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Kept for subclasses: every admin of the site is audited now (accounts.admin_site)."""


@admin.display(description=_("範囲"))
def scope_label(obj: Target | Baseline) -> str:
    return obj.scope_label


class ScopedForm(forms.ModelForm[Any]):
    """A jurisdiction or a municipality (not both), inside the row's prefecture."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        code = data.get("prefecture_code")
        jurisdiction, municipality = data.get("jurisdiction"), data.get("municipality")
        if jurisdiction and municipality:
            self.add_error("municipality", _("管轄と市町村はどちらか一方だけを選んでください。"))
        for name, value in (("jurisdiction", jurisdiction), ("municipality", municipality)):
            if value is not None and code and value.prefecture_code != code:
                self.add_error(name, _("都道府県コードと同じ都道府県のものを選んでください。"))
        return data


class TargetForm(ScopedForm):
    class Meta:
        model = Target
        fields = [
            "fiscal_year",
            "indicator",
            "value",
            "prefecture_code",
            "jurisdiction",
            "municipality",
            "note",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        k2 = data.get("indicator") == Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS
        if data.get("value") is None and not k2:
            self.add_error("value", _("目標値を入力してください。"))
        return data


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    form = TargetForm
    list_display = ["fiscal_year", "indicator", "value", scope_label, "note"]
    list_filter = ["indicator", "prefecture_code", "fiscal_year"]
    autocomplete_fields = ["municipality"]


class BaselineForm(ScopedForm):
    class Meta:
        model = Baseline
        fields = [
            "fiscal_year",
            "indicator",
            "value",
            "period",
            "prefecture_code",
            "jurisdiction",
            "municipality",
            "source",
        ]


@admin.register(Baseline)
class BaselineAdmin(AuditedAdmin):
    form = BaselineForm
    list_display = ["fiscal_year", "indicator", "value", "period", scope_label]
    list_filter = ["indicator", "prefecture_code", "fiscal_year"]
    autocomplete_fields = ["municipality"]


@admin.register(SurveyCount)
class SurveyCountAdmin(AuditedAdmin):
    list_display = ["municipality", "survey_date", "persons", "note"]
    list_filter = ["survey_date", "municipality__jurisdiction"]
    search_fields = ["municipality__name_ja", "municipality__code"]
    autocomplete_fields = ["municipality"]
    date_hierarchy = "survey_date"
