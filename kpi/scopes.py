"""The area a KPI report covers: a prefecture, one jurisdiction or one municipality.

Which scopes a user may pick is decided from `accounts.scope` (the one place that decides who
sees what); this module only turns those answers into report scopes and parses the tokens the
dashboard and the `kpi_report` command use:

- `pref`: the whole prefecture;
- a jurisdiction's id (`3`);
- a municipality's 6-digit code (`392014`).
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts import scope as access
from core.codes import is_valid_code
from core.models import Jurisdiction, Municipality
from core.prefectures import prefecture_name

PREFECTURE_TOKEN = "pref"  # noqa: S105  (a scope token, not a secret)


class ScopeNotFound(LookupError):
    """The token names no prefecture, jurisdiction or municipality we know."""


@dataclass(frozen=True)
class Scope:
    prefecture_code: str
    jurisdiction: Jurisdiction | None = None
    municipality: Municipality | None = None

    @property
    def kind(self) -> str:
        if self.municipality is not None:
            return "municipality"
        if self.jurisdiction is not None:
            return "jurisdiction"
        return "prefecture"

    @property
    def token(self) -> str:
        if self.municipality is not None:
            return self.municipality.code
        if self.jurisdiction is not None:
            return str(self.jurisdiction.pk)
        return PREFECTURE_TOKEN

    @property
    def name(self) -> str:
        if self.municipality is not None:
            return self.municipality.name
        if self.jurisdiction is not None:
            return self.jurisdiction.name
        return prefecture_name(self.prefecture_code)

    @property
    def jurisdiction_id(self) -> int | None:
        """The jurisdiction of a jurisdiction scope (None for a municipality's scope): the
        key of stored targets and baselines."""
        return self.jurisdiction.pk if self.kind == "jurisdiction" else None

    @property
    def municipality_id(self) -> int | None:
        return self.municipality.pk if self.municipality is not None else None

    def q(self, path: str = "") -> Q:
        """A filter for rows whose municipality (reached through `path`) is in the scope.

        `path` leads to a Municipality foreign key (`"municipality"`, `"case__municipality"`);
        empty means the Municipality model itself. Records are filtered on the scope's
        municipality ids (`municipality_ids`), not through a join to the municipality table:
        with the ids spelled out PostgreSQL knows how many rows to expect and plans for them.
        """
        if not path:
            if self.municipality is not None:
                return Q(pk=self.municipality.pk)
            if self.jurisdiction is not None:
                return Q(jurisdiction=self.jurisdiction.pk)
            return Q(prefecture_code=self.prefecture_code)
        if self.municipality is not None:
            return Q(**{path: self.municipality.pk})
        return Q(**{f"{path}__in": self.municipality_ids})

    @cached_property
    def municipality_ids(self) -> list[int]:
        """The ids of the scope's municipalities (one query, then remembered: a Scope is built
        per request or command and never changes)."""
        return list(Municipality.objects.filter(self.q()).values_list("pk", flat=True))

    def municipalities(self) -> QuerySet[Municipality]:
        return Municipality.objects.filter(self.q())

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "prefecture_code": self.prefecture_code}
        if self.kind == "jurisdiction":
            data["id"] = self.jurisdiction_id
        if self.municipality is not None:
            data["code"] = self.municipality.code
        data["name"] = self.name
        return data


def prefecture_scope(code: str | None = None) -> Scope:
    return Scope(prefecture_code=code or settings.DEFAULT_PREFECTURE_CODE)


def scope_from_token(token: str, *, prefecture_code: str | None = None) -> Scope:
    """`pref`, a jurisdiction id or a municipality code → the scope. No permission check."""
    token = (token or "").strip()
    if token in ("", PREFECTURE_TOKEN):
        return prefecture_scope(prefecture_code)
    if len(token) == 6 and is_valid_code(token):
        municipality = (
            Municipality.objects.select_related("jurisdiction").filter(code=token).first()
        )
        if municipality is None:
            raise ScopeNotFound(_("市町村コード %(code)s は登録されていません。") % {"code": token})
        return Scope(
            prefecture_code=municipality.prefecture_code,
            jurisdiction=municipality.jurisdiction,
            municipality=municipality,
        )
    if token.isdigit():
        jurisdiction = Jurisdiction.objects.filter(pk=int(token)).first()
        if jurisdiction is None:
            raise ScopeNotFound(_("管轄 %(id)s は登録されていません。") % {"id": token})
        return Scope(prefecture_code=jurisdiction.prefecture_code, jurisdiction=jurisdiction)
    raise ScopeNotFound(
        _("範囲「%(token)s」は pref、管轄のID、市町村コード（6桁）のいずれかです。")
        % {"token": token}
    )


def scopes_for_user(user: Any) -> list[Scope]:
    """The scopes the user may open, widest first (2 queries).

    The prefecture only for prefecture-level roles (they see all of it); then every
    jurisdiction whose municipalities the user sees entirely; then each visible municipality.
    """
    scopes: list[Scope] = []
    if access.sees_prefecture(user):
        scopes.append(prefecture_scope(user.prefecture_code or None))
    for jurisdiction in access.aggregate_jurisdictions(user).order_by(
        "prefecture_code", "sort_order", "pk"
    ):
        scopes.append(
            Scope(prefecture_code=jurisdiction.prefecture_code, jurisdiction=jurisdiction)
        )
    for municipality in access.aggregate_municipalities(user).select_related("jurisdiction"):
        scopes.append(
            Scope(
                prefecture_code=municipality.prefecture_code,
                jurisdiction=municipality.jurisdiction,
                municipality=municipality,
            )
        )
    return scopes
