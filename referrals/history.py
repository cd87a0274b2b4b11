"""What the configuration said on a given day: the kinds' flags and each resource's kind.

Target three counts a link as 居場所等, and target four a connection as work training, by what
the configuration said on the day the referral connected (DOMAIN.md: reported figures are
stable). Two effective-dated tables hold that history (`ResourceKindSetting`,
`ResourceKindPeriod`); a kind or resource without rows has had its current value since always.
`referral_connect` stamps the answer on the referral (`counted_as_ibasho`,
`counted_as_work_training`); a configuration change re-stamps only the referrals connected
on or after its effective date (`referrals.services.kind_settings_change`,
`resource_kind_change`).

Both tables are small (a row per change), so they are read whole into a `ConfigHistory`
(three queries) and answered in Python.
"""

import bisect
import datetime as dt
from dataclasses import dataclass, field

from referrals.models import Resource, ResourceKind, ResourceKindPeriod, ResourceKindSetting

# The `effective_from` of the row that keeps the value a kind or resource had before its first
# recorded change.
ALWAYS = dt.date(1, 1, 1)


@dataclass(frozen=True)
class KindFlags:
    counts_as_ibasho: bool
    is_work_training: bool


@dataclass
class ConfigHistory:
    current_flags: dict[int, KindFlags]  # kind id -> today's flags (ResourceKind)
    settings: dict[int, list[tuple[dt.date, KindFlags]]] = field(default_factory=dict)
    periods: dict[int, list[tuple[dt.date, int]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "ConfigHistory":
        current = {
            pk: KindFlags(ibasho, work)
            for pk, ibasho, work in ResourceKind.objects.values_list(
                "pk", "counts_as_ibasho", "is_work_training"
            )
        }
        history = cls(current_flags=current)
        for kind_id, on, ibasho, work in ResourceKindSetting.objects.order_by(
            "effective_from"
        ).values_list("kind_id", "effective_from", "counts_as_ibasho", "is_work_training"):
            history.settings.setdefault(kind_id, []).append((on, KindFlags(ibasho, work)))
        for resource_id, on, kind_id in ResourceKindPeriod.objects.order_by(
            "effective_from"
        ).values_list("resource_id", "effective_from", "kind_id"):
            history.periods.setdefault(resource_id, []).append((on, kind_id))
        return history

    def kind_of(self, resource_id: int, current_kind_id: int, on: dt.date) -> int:
        """The resource's kind on `on`."""
        return _at(self.periods.get(resource_id), on, current_kind_id)

    def flags_of_kind(self, kind_id: int, on: dt.date) -> KindFlags:
        """The kind's flags on `on`."""
        return _at(self.settings.get(kind_id), on, self.current_flags[kind_id])

    def flags(self, resource_id: int, current_kind_id: int, on: dt.date) -> KindFlags:
        """What a connection to the resource on `on` counts as."""
        return self.flags_of_kind(self.kind_of(resource_id, current_kind_id, on), on)

    def with_setting(self, kind_id: int, on: dt.date, flags: KindFlags) -> "ConfigHistory":
        """A copy with one more setting row (the preview of a change before it is saved)."""
        rows = _with_row(self.settings.get(kind_id), on, flags, self.current_flags[kind_id])
        return ConfigHistory(self.current_flags, {**self.settings, kind_id: rows}, self.periods)

    def with_period(
        self, resource_id: int, current_kind_id: int, on: dt.date, kind_id: int
    ) -> "ConfigHistory":
        rows = _with_row(self.periods.get(resource_id), on, kind_id, current_kind_id)
        return ConfigHistory(self.current_flags, self.settings, {**self.periods, resource_id: rows})


def _at[T](rows: list[tuple[dt.date, T]] | None, on: dt.date, default: T) -> T:
    """The value of the latest row from on or before `on` (rows sorted by date)."""
    if not rows:
        return default
    index = bisect.bisect_right([day for day, _value in rows], on)
    return rows[index - 1][1] if index else rows[0][1]


def _with_row[T](
    rows: list[tuple[dt.date, T]] | None, on: dt.date, value: T, current: T
) -> list[tuple[dt.date, T]]:
    rows = list(rows or [(ALWAYS, current)])
    rows = [row for row in rows if row[0] != on]
    bisect.insort(rows, (on, value), key=lambda row: row[0])
    return rows


def stamp(history: ConfigHistory, resource: Resource, on: dt.date) -> dict[str, bool]:
    """The referral fields a connection to `resource` on `on` gets."""
    flags = history.flags(resource.pk, resource.kind_id, on)
    return {
        "counted_as_ibasho": flags.counts_as_ibasho,
        "counted_as_work_training": flags.is_work_training,
    }
