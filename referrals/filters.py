"""The resource directory's filters (django-filter)."""

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.models import Municipality
from referrals.models import Resource, ResourceKind

ACTIVE_CHOICES = [
    ("yes", _("有効のみ")),
    ("no", _("無効のみ")),
    ("all", _("すべて")),
]


class ResourceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("キーワード"),
        method="filter_keyword",
        widget=forms.SearchInput(attrs={"placeholder": _("名称・所在地・開所日など")}),
    )
    kind = django_filters.ModelChoiceFilter(
        label=_("種別"), queryset=ResourceKind.objects.all(), empty_label=_("すべて")
    )
    operator_type = django_filters.ChoiceFilter(
        label=_("運営主体"), choices=Resource.Operator.choices, empty_label=_("すべて")
    )
    municipality = django_filters.ChoiceFilter(
        label=_("市町村"), method="filter_municipality", empty_label=_("すべて")
    )
    active = django_filters.ChoiceFilter(
        label=_("状態"), choices=ACTIVE_CHOICES, method="filter_active", empty_label=None
    )

    class Meta:
        model = Resource
        fields = ["q", "kind", "operator_type", "municipality", "active"]

    def __init__(self, data: Any = None, *args: Any, prefecture_code: str = "", **kwargs: Any):
        data = data.copy() if data is not None else {}
        # Active resources unless asked otherwise: a closed ibasho is rarely what one looks for.
        if not data.get("active"):
            data["active"] = "yes"
        super().__init__(data, *args, **kwargs)
        municipalities = Municipality.objects.all()
        if prefecture_code:
            municipalities = municipalities.filter(prefecture_code=prefecture_code)
        self.filters["municipality"].extra["choices"] = [
            ("wide", _("県全域（市町村の指定なし）")),
            *((str(m.pk), m.name) for m in municipalities),
        ]

    def filter_keyword(
        self, queryset: QuerySet[Resource], name: str, value: str
    ) -> QuerySet[Resource]:
        for word in value.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(address__icontains=word)
                | Q(opening_days__icontains=word)
                | Q(notes__icontains=word)
            )
        return queryset

    def filter_municipality(
        self, queryset: QuerySet[Resource], name: str, value: str
    ) -> QuerySet[Resource]:
        if value == "wide":
            return queryset.filter(municipality__isnull=True)
        # A municipality's list includes the prefecture-wide resources its people can use.
        return queryset.filter(Q(municipality_id=value) | Q(municipality__isnull=True))

    def filter_active(
        self, queryset: QuerySet[Resource], name: str, value: str
    ) -> QuerySet[Resource]:
        if value == "yes":
            return queryset.filter(active=True)
        if value == "no":
            return queryset.filter(active=False)
        return queryset
