"""The record exports: what each contains and which list filters it honours.

Each export starts from the user's scoped queryset, applies the filters of its list page (the
same FilterSet, fed the same query string), and yields plain tuples in column order. Columns
marked `personal` (names, free-text notes, minutes) are written only when the admin asks for
personal data and gives a reason.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import AgeBand, Case, Consultation, Person
from casework.models import PlanGoal, Review, SupportPlan
from core.excel import Column, Labels
from exports.ledger_columns import ledger_columns
from platforms.models import CaseMeeting
from referrals.models import Referral

INCLUDE_VOIDED = "include_voided"


class InvalidExportFilter(ValidationError):
    """The list filter handed to an export does not validate: nothing is exported."""


def label_of(choices: Any) -> Labels:
    return Labels(choices)


@dataclass(frozen=True)
class ExportKind:
    key: str
    label: Any
    base: Callable[[Any], QuerySet[Any]]
    columns: Sequence[Column]
    order_by: Sequence[str]
    # The list page's filter (user, query string) -> its FilterSet, and the lookup from these
    # rows to that list's model ("" when the rows are the list's own).
    filtered: Callable[[Any, QueryDict], Any] | None = None
    filter_path: str = ""
    # Voided (取消) rows are left out unless the export asks for them (`include_voided=1`).
    live: dict[str, Any] | None = None

    def columns_for(self, include_personal: bool) -> list[Column]:
        return [c for c in self.columns if include_personal or not c.personal]

    def filterset(self, user: User, params: QueryDict) -> Any:
        """The list's FilterSet for these parameters; an invalid one refuses the export
        (never "no filter": that would export the whole scope)."""
        if self.filtered is None:
            return None
        filterset = self.filtered(user, params)
        if filterset.is_bound and not filterset.is_valid():
            raise InvalidExportFilter(filterset.form.errors)
        return filterset

    def audit_filters(self, user: User, params: QueryDict) -> dict[str, Any]:
        """The filter as the audit row keeps it: known keys, search text masked, capped."""
        filterset = self.filterset(user, params)
        return filterset.audit_filters() if filterset is not None else {}

    def queryset(self, user: User, params: QueryDict) -> QuerySet[Any]:
        qs = self.base(user)
        if self.live and params.get(INCLUDE_VOIDED) != "1":
            qs = qs.filter(**self.live)
        filterset = self.filterset(user, params)
        if filterset is not None:
            filtered = filterset.qs
            if self.filter_path:
                qs = qs.filter(**{f"{self.filter_path}__in": filtered.values("pk")})
            else:
                qs = qs.filter(pk__in=filtered.values("pk"))
        return qs

    def rows(
        self, user: User, params: QueryDict, include_personal: bool, chunk_size: int = 2000
    ) -> Iterator[tuple[Any, ...]]:
        paths = [c.path for c in self.columns_for(include_personal)]
        qs = self.queryset(user, params).order_by(*self.order_by).values_list(*paths)
        return qs.iterator(chunk_size=chunk_size)


def case_list_filter(user: User, params: QueryDict) -> Any:
    """The case list's filters (cases/filters.py), exactly as the list page applies them."""
    from cases.filters import CaseFilter

    base = Case.objects.in_scope(user).with_activity()
    return CaseFilter(_known(params), user=user, queryset=base)


def meeting_list_filter(user: User, params: QueryDict) -> Any:
    from platforms.forms import MeetingFilter

    # The filter's municipality choices read `request.user` (and nothing else of the request).
    request = HttpRequest()
    request.user = user
    return MeetingFilter(
        _known(params), queryset=CaseMeeting.objects.in_scope(user), request=request
    )


def _known(params: QueryDict) -> QueryDict | None:
    """The list's own query string minus paging (the list ignores `page` too)."""
    params = params.copy()
    params.pop("page", None)
    return params or None


CASE_FILTER = case_list_filter

# Where each ledger column (exports/ledger.py) comes from, and whether it is personal data.
LEDGER_SOURCES: dict[str, tuple[str, bool, Any]] = {
    "case_ref": ("case__number", False, None),
    "row_ref": ("pk", False, None),
    "municipality_code": ("case__municipality__code", False, None),
    "intake_date": ("case__intake_date", False, None),
    "intake_route": ("case__intake_route", False, Case.Route.choices),
    "visitor": ("case__visitor", False, Case.Visitor.choices),
    "name": ("case__person__name", True, None),
    "kana": ("case__person__kana", True, None),
    "birth_year": ("case__person__birth_year", True, None),
    "sex": ("case__person__sex", False, Person.Sex.choices),
    "date": ("date", False, None),
    "method": ("method", False, Consultation.Method.choices),
    "with_whom": ("with_whom", False, Consultation.WithWhom.choices),
    "duration_minutes": ("duration_minutes", False, None),
    "notes": ("notes", True, None),
    "next_action": ("next_action", True, None),
    "next_action_date": ("next_action_date", False, None),
}


def ledger_export_columns() -> list[Column]:
    columns = []
    for ledger in ledger_columns():
        path, personal, choices = LEDGER_SOURCES[ledger.key]
        display = label_of(choices) if choices else None
        columns.append(Column(ledger.header, path, ledger.width, personal, display))
    return columns


CONSULTATION_EXTRAS = [
    Column(_("市町村"), "case__municipality__name_ja", 12),
    Column(_("記録者"), "recorded_by__username", 14),
]


def _plan_goals(user: User) -> QuerySet[Any]:
    from casework.models import PlanGoal

    return PlanGoal.objects.filter(plan__in=SupportPlan.objects.in_scope(user).values("pk"))


def _reviews(user: User) -> QuerySet[Any]:
    return Review.objects.in_scope(user)


KINDS: dict[str, ExportKind] = {
    kind.key: kind
    for kind in [
        ExportKind(
            key="cases",
            label=_("相談ケース"),
            base=lambda user: Case.objects.in_scope(user),
            live={"voided_at__isnull": True},
            filtered=CASE_FILTER,
            order_by=["municipality__code", "intake_date", "id"],
            columns=[
                Column(_("ケース番号"), "number", 20),
                Column(_("市町村コード"), "municipality__code", 10),
                Column(_("市町村"), "municipality__name_ja", 12),
                Column(_("受理日"), "intake_date", 12),
                Column(_("相談経路"), "intake_route", 16, display=label_of(Case.Route.choices)),
                Column(_("来談者"), "visitor", 12, display=label_of(Case.Visitor.choices)),
                Column(_("氏名"), "person__name", 16, personal=True),
                Column(_("ふりがな"), "person__kana", 18, personal=True),
                Column(_("生まれ年"), "person__birth_year", 10, personal=True),
                Column(_("性別"), "person__sex", 8, display=label_of(Person.Sex.choices)),
                Column(
                    _("受理時の年齢層"),
                    "age_band_at_intake",
                    12,
                    display=label_of(AgeBand.choices),
                ),
                Column(
                    _("ひきこもり期間"),
                    "withdrawal_duration",
                    14,
                    display=label_of(Case.WithdrawalDuration.choices),
                ),
                Column(_("状況"), "status", 12, display=label_of(Case.Status.choices)),
                Column(_("状況の変更日"), "status_changed_on", 12),
                Column(_("終結・中断日"), "closed_on", 12),
                Column(_("担当相談員"), "assigned_counselor__username", 14),
            ],
        ),
        ExportKind(
            key="consultations",
            label=_("相談記録"),
            base=lambda user: Consultation.objects.in_scope(user),
            live={"voided_at__isnull": True, "case__voided_at__isnull": True},
            filtered=CASE_FILTER,
            filter_path="case",
            order_by=["case__municipality__code", "case__number", "date", "id"],
            # The ledger columns first (an export can be imported elsewhere), then extras.
            columns=[*ledger_export_columns(), *CONSULTATION_EXTRAS],
        ),
        ExportKind(
            key="referrals",
            label=_("つなぎ"),
            base=lambda user: Referral.objects.in_scope(user),
            live={"case__voided_at__isnull": True},
            filtered=CASE_FILTER,
            filter_path="case",
            order_by=["case__municipality__code", "proposed_on", "id"],
            columns=[
                Column(_("ケース番号"), "case__number", 20),
                Column(_("市町村コード"), "case__municipality__code", 10),
                Column(_("市町村"), "case__municipality__name_ja", 12),
                Column(_("つなぎ先"), "resource__name", 28),
                Column(_("種別"), "resource__kind__name_ja", 16),
                Column(_("状況"), "status", 12, display=label_of(Referral.Status.choices)),
                Column(_("提案日"), "proposed_on", 12),
                Column(_("調整開始日"), "arranging_on", 12),
                Column(_("つながった日"), "connected_on", 12),
                Column(_("終了日"), "ended_on", 12),
                Column(_("不成立日"), "not_realised_on", 12),
                Column(
                    _("不成立の理由"),
                    "not_realised_reason",
                    16,
                    display=label_of(Referral.NotRealisedReason.choices),
                ),
            ],
        ),
        ExportKind(
            key="meetings",
            label=_("ケース会議"),
            base=lambda user: CaseMeeting.objects.in_scope(user),
            filtered=meeting_list_filter,
            order_by=["municipality__code", "held_on", "id"],
            columns=[
                Column(_("市町村コード"), "municipality__code", 10),
                Column(_("市町村"), "municipality__name_ja", 12),
                Column(_("開催日"), "held_on", 12),
                Column(_("種別"), "kind", 28, display=label_of(CaseMeeting.Kind.choices)),
                Column(
                    _("スーパーバイズ"),
                    "supervision",
                    20,
                    display=label_of(CaseMeeting.Supervision.choices),
                ),
                Column(_("決定事項"), "decisions", 50, personal=True),
                Column(_("議事録（秘）"), "minutes", 60, personal=True),
            ],
        ),
        # One row per goal, with its plan version (a plan's goals are what was decided).
        ExportKind(
            key="plans",
            label=_("支援プラン（目標ごと）"),
            base=_plan_goals,
            filtered=CASE_FILTER,
            filter_path="plan__case",
            order_by=["plan__case__municipality__code", "plan__case__number", "plan__number", "id"],
            columns=[
                Column(_("ケース番号"), "plan__case__number", 20),
                Column(_("市町村コード"), "plan__case__municipality__code", 10),
                Column(_("版"), "plan__number", 6),
                Column(_("状態"), "plan__status", 10, display=label_of(SupportPlan.Status.choices)),
                Column(_("作成日"), "plan__drafted_on", 12),
                Column(_("決定日"), "plan__decided_on", 12),
                Column(
                    _("決定した会議"),
                    "plan__decided_meeting__kind",
                    28,
                    display=label_of(CaseMeeting.Kind.choices),
                ),
                Column(_("次回の見直し予定日"), "plan__next_review_on", 14),
                Column(_("終了日"), "plan__ended_on", 12),
                Column(_("区分"), "term", 10, display=label_of(PlanGoal.Term.choices)),
                Column(_("目標"), "goal", 40, personal=True),
                Column(_("具体的な支援内容"), "supports", 40, personal=True),
                Column(_("担う関係機関"), "agency__name", 24),
                Column(_("利用する社会資源"), "resource__name", 24),
                Column(_("開始"), "starts_on", 12),
                Column(_("終了予定"), "ends_on", 12),
            ],
        ),
        ExportKind(
            key="reviews",
            label=_("モニタリング・評価"),
            base=_reviews,
            filtered=CASE_FILTER,
            filter_path="case",
            order_by=["case__municipality__code", "case__number", "reviewed_on", "id"],
            columns=[
                Column(_("ケース番号"), "case__number", 20),
                Column(_("市町村コード"), "case__municipality__code", 10),
                Column(_("プランの版"), "plan__number", 8),
                Column(_("実施日"), "reviewed_on", 12),
                Column(_("予定日"), "due_on", 12),
                Column(_("予定日までに実施"), "on_time", 10),
                Column(_("支援段階"), "stage__name_ja", 24),
                Column(_("段階が進んだ"), "moved_forward", 10),
                Column(_("終結時の評価"), "closing", 10),
                Column(_("評価の所見"), "notes", 50, personal=True),
            ],
        ),
    ]
}
