"""The case list's filters. Whatever the query string says, rows come from the user's scope:
the queryset handed in is `Case.objects.in_scope(user)` and the municipality and counselor
choices are limited to it, so an out-of-scope value is simply an invalid choice."""

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.scope import personal_municipalities, personal_municipality_ids
from audit.services import filters_for_audit
from cases.kana import kana_key, name_key
from cases.models import AgeBand, Case, CasesWithActivity, IssueTag
from core.forms import (
    DateFilter,
    DateInput,
    ModelChoiceFilter,
    ModelMultipleChoiceFilter,
    model_choice_filter,
)

OPEN = "open"
NO_CONTACT_DAYS = 90


def keyword_search(qs: QuerySet[Case], value: str) -> QuerySet[Case]:
    """Cases whose number, name or kana matches every word. Names are compared by their keys,
    so 高橋 finds 髙橋 and 「高橋健太」 finds 「高橋 健太」. Used by the list and the pickers."""
    for word in value.split():
        cond = Q(number__icontains=word) | Q(person__kana__icontains=word)
        if key := name_key(word):
            cond |= Q(person__name_key__contains=key)
        if key := kana_key(word):
            cond |= Q(person__kana_key__contains=key)
        qs = qs.filter(cond)
    return qs


# Query-string name → (queryset field, label). The list's sortable columns.
SORT_FIELDS = {
    "number": ("number", _("ケース番号")),
    "municipality": ("municipality__code", _("市町村")),
    "status": ("status", _("状況")),
    "intake_date": ("intake_date", _("受理日")),
    "last_contact": ("last_seen_on", _("最終接触日")),
    "next_action": ("next_action_on", _("次の対応日")),
}


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Empty dates sort last in both directions, and the id keeps pages stable."""

    def filter(self, qs: QuerySet[Case], value: Any) -> QuerySet[Case]:
        if not value:
            return qs
        ordering = []
        param_map = self.param_map or {}  # set by OrderingFilter.__init__
        for param in value:
            descending = param.startswith("-")
            field = param_map.get(param.lstrip("-"))
            if field is None:
                continue
            expr = F(field)
            ordering.append(expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True))
        return qs.order_by(*ordering, "-id") if ordering else qs


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("キーワード"),
        method="filter_keyword",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("ケース番号・氏名・ふりがなの一部")}
        ),
    )
    status = django_filters.ChoiceFilter(
        label=_("状況"),
        choices=[(OPEN, _("対応中のみ")), *Case.Status.choices],
        method="filter_status",
        empty_label=_("すべて"),
    )
    municipality = ModelChoiceFilter(label=_("市町村"), queryset=None, empty_label=_("すべて"))
    counselor = ModelChoiceFilter(
        label=_("担当相談員"),
        field_name="assigned_counselor",
        queryset=None,
        empty_label=_("すべて"),
    )
    age_band = django_filters.ChoiceFilter(
        label=_("受理時の年齢層"),
        field_name="age_band_at_intake",
        choices=AgeBand.choices,
        empty_label=_("すべて"),
    )
    intake_from = DateFilter(
        label=_("受理日（から）"), field_name="intake_date", lookup_expr="gte", widget=DateInput()
    )
    intake_to = DateFilter(
        label=_("受理日（まで）"), field_name="intake_date", lookup_expr="lte", widget=DateInput()
    )
    issue_tags = ModelMultipleChoiceFilter(
        label=_("複合課題（いずれか）"),
        queryset=IssueTag.objects.filter(active=True),
        method="filter_issue_tags",
        widget=forms.CheckboxSelectMultiple,
    )
    overdue = django_filters.BooleanFilter(
        label=_("次の対応日を過ぎている（今日を含む）"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )
    no_contact = django_filters.BooleanFilter(
        label=_("90日以上接触なし"),
        method="filter_no_contact",
        widget=forms.CheckboxInput,
    )
    o = NullsLastOrderingFilter(
        label=_("並び順"),
        fields={field: name for name, (field, _label) in SORT_FIELDS.items()},
        field_labels={field: label for _name, (field, label) in SORT_FIELDS.items()},
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(
        self, data: Any = None, *, user: User, queryset: QuerySet[Case] | None = None
    ) -> None:
        super().__init__(data, queryset=queryset)
        model_choice_filter(self, "municipality").queryset = personal_municipalities(user).order_by(
            "code"
        )
        # The user, and the active counselors of a case in the user's municipalities: a probe
        # of case_counselor_muni_idx per user, not a join to every case of the scope (9 ms of
        # the list's 19 ms of SQL on the benchmark's million cases, issue #22).
        has_cases_here = Case.objects.filter(
            assigned_counselor=OuterRef("pk"), municipality_id__in=personal_municipality_ids(user)
        )
        model_choice_filter(self, "counselor").queryset = User.objects.filter(
            Q(pk=user.pk) | Q(Exists(has_cases_here), is_active=True)
        ).order_by("username")
        self.today: dt.date = timezone.localdate()

    def filter_keyword(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return keyword_search(qs, value)

    def filter_status(self, qs: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if value == OPEN:
            return qs.exclude(status__in=Case.CLOSED_STATUSES)
        return qs.filter(status=value)

    def filter_issue_tags(self, qs: QuerySet[Case], name: str, value: Any) -> QuerySet[Case]:
        if not value:
            return qs
        through = Case.issue_tags.through.objects.filter(issuetag__in=value)
        return qs.filter(pk__in=through.values("case_id"))

    def filter_overdue(
        self, qs: CasesWithActivity, name: str, value: bool | None
    ) -> CasesWithActivity:
        if not value:
            return qs
        return qs.exclude(status__in=Case.CLOSED_STATUSES).filter(next_action_on__lte=self.today)

    def filter_no_contact(
        self, qs: CasesWithActivity, name: str, value: bool | None
    ) -> CasesWithActivity:
        if not value:
            return qs
        since = self.today - dt.timedelta(days=NO_CONTACT_DAYS)
        return qs.exclude(status__in=Case.CLOSED_STATUSES).filter(last_seen_on__lt=since)

    def audit_filters(self) -> dict[str, Any]:
        """The filters as recorded in the audit row: values, except free text (names)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return filters_for_audit(self.form.cleaned_data, masked=["q"])
