"""年度確定: a closed year's reported figures, today's recount next to them, and why they differ.

A closed year (`kpi.models.YearClosing`) keeps the figures as reported. `kpi.selectors.kpi_report`
shows them for a full-year report of that year and scope, with today's recount; when the two
differ, `changes_since` lists the records behind the difference: entered after the closing
(late entries) or changed since. Nothing here writes: closing and reopening are
`kpi.services.year_close` / `year_reopen`.

`SOURCES` is the list of records the four indicators count; a new kind of change (a voided
record: `voided_at` / `voided_by`) is one more `Event` on the sources it applies to.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from cases.models import Case
from kpi.models import Indicator, YearClosing
from kpi.scopes import scoped_baked
from platforms.models import CaseMeeting
from referrals.models import EmploymentOutcome, Referral, ReferralTransition

if TYPE_CHECKING:
    from kpi.scopes import Scope
    from kpi.selectors import Report

# The secondary figures stored with a closing, with their labels (the dashboard's wording).
SECONDARY_FIGURES: dict[str, Promise] = {
    "platforms": _("プラットフォームを設置した市町村"),
    "needs_assessed": _("実態・ニーズ把握を実施した市町村"),
    "jusoteki": _("重層的支援体制整備事業を実施している市町村"),
    "supervised_municipalities": _("支援（スーパーバイズ）を受けてケース会議を実施した市町村"),
    "meetings": _("ケース会議の開催回数"),
    "supervised_meetings": _("うち県・センター・福祉保健所が支援した回数"),
    "survey_persons": _("実態把握調査で把握した人数"),
    "ibasho_active": _("活動中の居場所等"),
    "ibasho_prefecture_supported": _("うち県の支援がある居場所"),
    "work_training_active": _("就労訓練・中間的就労の場"),
}
CONSULTATION_FIGURES: dict[str, Promise] = {
    "contacts": _("相談の延べ件数"),
    "persons": _("相談の実人数"),
}
# The by-municipality table's counted columns.
AREA_FIGURES: dict[str, Promise] = {
    "new_consultations": _("新規相談件数"),
    "meetings": _("ケース会議の回数"),
    "ibasho_links": _("居場所等につながった件数"),
    "employed": _("中間的就労等を経た就労者数"),
    "platforms": _("プラットフォーム"),
}


def figures_of(report: "Report") -> dict[str, Any]:
    """What a closing stores: plain JSON, independent of the page's language."""
    s = report.secondary
    return {
        "as_of": report.as_of.isoformat(),
        "indicators": {i.key: {"value": i.value, "total": i.total} for i in report.indicators},
        "secondary": {
            **{name: getattr(s, name) for name in SECONDARY_FIGURES},
            "municipalities": s.municipalities,
            **{name: getattr(s.consultations, name) for name in CONSULTATION_FIGURES},
        },
        "areas": [
            {
                "kind": a.kind,
                "code": a.code,
                "name": a.name,
                "jurisdiction": a.jurisdiction,
                "new_consultations": a.new_consultations,
                "meetings": a.meetings,
                "first_meeting": a.first_meeting.isoformat() if a.first_meeting else None,
                "ibasho_links": a.ibasho_links,
                "employed": a.employed,
                "municipalities": a.municipalities,
                "municipalities_with_meetings": a.municipalities_with_meetings,
                "platforms": a.platforms,
            }
            for a in report.areas
        ],
    }


def closings_for(scope: "Scope", fiscal_years: list[int]) -> dict[int, YearClosing]:
    """The closings in force for the scope and years (1 query; none for the national scope)."""
    if scope.is_national or not fiscal_years:
        return {}
    return {row.fiscal_year: row for row in _CLOSINGS(scope, fiscal_years)}


# The dashboard reads them on every view: baked per kind of scope (kpi.scopes.ScopedBaked).
_CLOSINGS = scoped_baked(
    lambda scope, fiscal_years: YearClosing.objects.for_scope(
        prefecture_code=scope.prefecture_code,
        jurisdiction_id=scope.jurisdiction_id,
        municipality_id=scope.municipality_id,
    ).filter(fiscal_year__in=fiscal_years, reopened_at__isnull=True)
)


@dataclass(frozen=True)
class Difference:
    """A figure whose recount differs from what was reported."""

    label: str
    reported: int | None
    recounted: int | None

    @property
    def difference(self) -> int | None:
        if self.reported is None or self.recounted is None:
            return None
        return self.recounted - self.reported


def differences(reported: dict[str, Any], recounted: dict[str, Any]) -> list[Difference]:
    """Every stored figure (indicators, secondary figures, table cells) that moved."""
    found = []
    for key, label in Indicator.choices:
        before = reported["indicators"].get(key, {}).get("value")
        after = recounted["indicators"][key]["value"]
        if before != after:
            found.append(Difference(str(label), before, after))
    for name, figure in {**SECONDARY_FIGURES, **CONSULTATION_FIGURES}.items():
        before, after = reported["secondary"].get(name), recounted["secondary"][name]
        if before != after:
            found.append(Difference(str(figure), before, after))
    now = {row["code"]: row for row in recounted["areas"]}
    for row in reported["areas"]:
        other = now.get(row["code"], {})
        for name, column in AREA_FIGURES.items():
            if row.get(name) != other.get(name):
                found.append(Difference(f"{row['name']}: {column}", row.get(name), other.get(name)))
    return found


# --- the records behind a difference ---------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A kind of change: the record's timestamp field that says when, and who did it (a user
    field on the record; else the audit trail's latest write after the closing says)."""

    label: Promise
    at: str
    by: str = ""


CHANGED = Event(_("確定後に変更"), "updated_at")
# Voided (取消) after the closing: the record no longer counts (core.models.Voidable).
VOIDED = Event(_("確定後に取消"), "voided_at", "voided_by")


def late(by: str) -> Event:
    """Entered after the closing (a late entry), by the record's creator field `by`."""
    return Event(_("確定後に登録"), "created_at", by)


@dataclass(frozen=True)
class ChangeSource:
    """Records one indicator counts, as `(scope, start, end) -> queryset`, with the kinds of
    change to look for, in order of precedence (the first that happened after the closing
    names the change)."""

    label: Promise
    model: type[Model]
    counted: Callable[["Scope", dt.date, dt.date], Any]
    date_field: str
    events: tuple[Event, ...]


SOURCES: list[ChangeSource] = [
    ChangeSource(
        _("ケース"),
        Case,
        lambda scope, start, end: Case.objects.filter(
            scope.q("municipality"), intake_date__range=(start, end)
        ),
        "intake_date",
        (VOIDED, late("created_by"), CHANGED),
    ),
    ChangeSource(
        _("ケース会議"),
        CaseMeeting,
        lambda scope, start, end: CaseMeeting.objects.filter(
            scope.q("municipality"), held_on__range=(start, end)
        ),
        "held_on",
        (late("created_by"), CHANGED),
    ),
    ChangeSource(
        _("つなぎ"),
        Referral,
        lambda scope, start, end: Referral.objects.filter(
            scope.q("municipality"), connected_on__range=(start, end)
        ),
        "connected_on",
        (late("created_by"), CHANGED),
    ),
    # A connection undone after the closing (`referral_step_undo`): the referral no longer has
    # a connection date, so it is found by its voided 「つながった」 step, dated as it counted.
    ChangeSource(
        _("つなぎの取消"),
        ReferralTransition,
        lambda scope, start, end: ReferralTransition.objects.filter(
            scope.q("referral__municipality"),
            to_status=Referral.Status.CONNECTED,
            on__range=(start, end),
            voided_at__isnull=False,
        ),
        "on",
        (VOIDED,),
    ),
    ChangeSource(
        _("就労"),
        EmploymentOutcome,
        lambda scope, start, end: EmploymentOutcome.objects.filter(
            scope.q("municipality"), started_on__range=(start, end)
        ),
        "started_on",
        (VOIDED, late("recorded_by"), CHANGED),
    ),
]


@dataclass(frozen=True)
class Change:
    source: str  # ケース, つなぎ…
    object_type: str
    pk: int
    date: dt.date  # the date the indicator counts (intake, connection…)
    kind: str  # 確定後に登録, 確定後に変更…
    at: dt.datetime
    by: str  # a username, or "" when nobody is recorded

    @property
    def reference(self) -> str:
        """`つなぎ #123`: no name, no case number (aggregate pages show no personal data)."""
        return f"{self.source} #{self.pk}"


@dataclass
class ClosingState:
    """What the report shows about its year's closing."""

    closing: YearClosing
    differences: list[Difference] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.differences)

    @property
    def closed_at(self) -> dt.datetime:
        return self.closing.closed_at

    @property
    def closed_by(self) -> str:
        return self.closing.closed_by_name


def changes_since(
    closing: YearClosing, scope: "Scope", start: dt.date, end: dt.date
) -> list[Change]:
    """The records of the year and scope entered or changed after the year was closed, oldest
    change first: the reasons a recount differs from the reported figures. Two queries per
    source (the records, then who wrote them from the audit trail)."""
    since = closing.closed_at
    changes: list[Change] = []
    for source in SOURCES:
        after = Q()
        for event in source.events:
            after |= Q(**{f"{event.at}__gt": since})
        fields = {"pk", source.date_field, *(e.at for e in source.events)}
        fields |= {f"{e.by}__username" for e in source.events if e.by}
        rows = list(source.counted(scope, start, end).filter(after).values(*fields))
        if not rows:
            continue
        object_type = source.model._meta.label_lower
        writers: dict[str, str] = {}
        for object_id, username in (
            AuditEvent.objects.filter(
                object_type=object_type,
                object_id__in=[str(row["pk"]) for row in rows],
                at__gt=since,
            )
            .exclude(action__in=[AuditEvent.Action.VIEW, AuditEvent.Action.LIST])
            .order_by("at")
            .values_list("object_id", "username")
        ):
            writers[object_id] = username  # the latest write wins
        for row in rows:
            event = next(e for e in source.events if row[e.at] and row[e.at] > since)
            by = row.get(f"{event.by}__username") if event.by else None
            changes.append(
                Change(
                    source=str(source.label),
                    object_type=object_type,
                    pk=row["pk"],
                    date=row[source.date_field],
                    kind=str(event.label),
                    at=row[event.at],
                    by=by or writers.get(str(row["pk"]), ""),
                )
            )
    return sorted(changes, key=lambda change: (change.at, change.object_type, change.pk))
