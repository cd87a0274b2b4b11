"""The audit search: by user, action, object, municipality and date range."""

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.apps import apps
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scope
from accounts.models import User
from audit.models import AuditEvent
from audit.services import filters_for_audit
from core.forms import DateFilter, DateInput, model_choice_filter
from core.models import Municipality

PROJECT_APPS = ("accounts", "audit", "cases", "core", "exports", "kpi", "platforms", "referrals")


def object_type_choices() -> list[tuple[str, str]]:
    """The kinds of record the trail names, by their Japanese name (「相談ケース」)."""
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    return sorted(
        ((m._meta.label_lower, str(m._meta.verbose_name)) for m in models), key=lambda c: c[1]
    )


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# The searchable period: a typed 9999-12-31 (or year 1) is refused with a message next to
# the field instead of overflowing the day arithmetic below.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


class AuditFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(
                    name,
                    _("%(first)s から %(last)s までの日付を入力してください。")
                    % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
                )
                data.pop(name, None)
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("「まで」は「から」以降の日付にしてください。"))
        return data


class AuditEventFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(
        label=_("ユーザー名"), field_name="username", lookup_expr="exact"
    )
    action = django_filters.ChoiceFilter(
        label=_("操作"), choices=AuditEvent.Action.choices, empty_label=_("すべて")
    )
    case_number = django_filters.CharFilter(
        label=_("ケース番号"),
        method="filter_case_number",
        help_text=_("そのケースと、その相談記録・つなぎ・就労の記録"),
    )
    object_type = django_filters.ChoiceFilter(
        label=_("対象の種類"), choices=(), empty_label=_("すべて"), field_name="object_type"
    )
    object_id = django_filters.CharFilter(
        label=_("対象ID"), field_name="object_id", lookup_expr="exact"
    )
    municipality = django_filters.ModelChoiceFilter(
        label=_("市町村"),
        queryset=Municipality.objects.none(),
        method="filter_municipality",
        empty_label=_("すべて"),
    )
    date_from = DateFilter(label=_("期間（から）"), method="filter_date_from", widget=DateInput())
    date_to = DateFilter(label=_("期間（まで）"), method="filter_date_to", widget=DateInput())

    class Meta:
        model = AuditEvent
        fields: list[str] = []
        form = AuditFilterForm

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_filter(self, "municipality").queryset = scope.personal_municipalities(
            user
        ).order_by("code")
        self.filters["object_type"].extra["choices"] = object_type_choices()
        self.user = user

    def filter_case_number(self, qs: QuerySet[AuditEvent], name: str, value: str) -> Any:
        """Rows about the case with that number and about its records (by their ids)."""
        from cases.models import Case, Consultation
        from referrals.models import EmploymentOutcome, Referral

        cases = Case.objects.in_scope(self.user).filter(number=value.strip())
        as_text = Cast("pk", CharField())
        related = (
            ("cases.case", cases),
            ("cases.consultation", Consultation.objects.filter(case__in=cases)),
            ("referrals.referral", Referral.objects.filter(case__in=cases)),
            ("referrals.employmentoutcome", EmploymentOutcome.objects.filter(case__in=cases)),
        )
        condition = Q()
        for object_type, records in related:
            ids = records.annotate(text_id=as_text).values("text_id")
            condition |= Q(object_type=object_type, object_id__in=ids)
        return qs.filter(condition)

    # Date bounds are whole local days turned into an `at` range, so the index on `at` serves.
    def filter_date_from(self, qs: QuerySet[AuditEvent], name: str, value: dt.date) -> Any:
        return qs.filter(at__gte=_start_of_day(value))

    def filter_date_to(self, qs: QuerySet[AuditEvent], name: str, value: dt.date) -> Any:
        return qs.filter(at__lt=_start_of_day(value + dt.timedelta(days=1)))

    def filter_municipality(self, qs: QuerySet[AuditEvent], name: str, value: Municipality) -> Any:
        return qs.filter(municipality_id=value.pk)

    def audit_filters(self) -> dict[str, Any]:
        """The filter as recorded in the LIST/EXPORT audit row (ids and dates, no names)."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return filters_for_audit(self.form.cleaned_data, masked=())
