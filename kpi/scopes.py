"""The area a KPI report covers: the whole country, a prefecture, one jurisdiction or one
municipality.

Which scopes a user may pick is decided from `accounts.scope` (the one place that decides who
sees what); this module only turns those answers into report scopes and parses the tokens the
dashboard and the `kpi_report` command use:

- `all`: every prefecture (the national scope, 全国). Only for prefecture-level users with a
  blank prefecture code (`accounts.scope.sees_every_prefecture`);
- `pref`: the user's own prefecture (a user with a prefecture code), or in the commands the
  installation's prefecture (`DEFAULT_PREFECTURE_CODE`);
- `pref-NN`: the prefecture with JIS code NN (`pref-13`: Tokyo). Users who see every
  prefecture pick prefectures by these tokens (one per prefecture with municipalities in the
  database); a user with a prefecture code is never offered one, so `pref` and its meaning
  are unchanged for them;
- a jurisdiction's id (`3`);
- a municipality's 6-digit code (`392014`).
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts import scope as access
from accounts.models import User
from core.baked import Baked, BakingError, baked
from core.codes import is_valid_code
from core.models import Jurisdiction, Municipality
from core.prefectures import PREFECTURES, prefecture_name

PREFECTURE_TOKEN = "pref"  # noqa: S105  (a scope token, not a secret)
NATIONAL_TOKEN = "all"  # noqa: S105
NAMED_PREFECTURE_PREFIX = "pref-"


class ScopeNotFound(LookupError):
    """The token names no prefecture, jurisdiction or municipality we know."""


@dataclass(frozen=True)
class Scope:
    """`prefecture_code` empty (and no jurisdiction or municipality): the national scope.
    `named`: a prefecture picked among several, whose token is `pref-NN` instead of `pref`."""

    prefecture_code: str
    jurisdiction: Jurisdiction | None = None
    municipality: Municipality | None = None
    named: bool = False

    @property
    def kind(self) -> str:
        if self.municipality is not None:
            return "municipality"
        if self.jurisdiction is not None:
            return "jurisdiction"
        if not self.prefecture_code:
            return "national"
        return "prefecture"

    @property
    def is_national(self) -> bool:
        return self.kind == "national"

    @property
    def token(self) -> str:
        if self.municipality is not None:
            return self.municipality.code
        if self.jurisdiction is not None:
            return str(self.jurisdiction.pk)
        if not self.prefecture_code:
            return NATIONAL_TOKEN
        if self.named:
            return f"{NAMED_PREFECTURE_PREFIX}{self.prefecture_code}"
        return PREFECTURE_TOKEN

    @property
    def cache_key(self) -> str:
        """What the scope covers, for cache keys: `national`, `prefecture:39`,
        `jurisdiction:3`, `municipality:17` (tokens are not enough: `pref` and `pref-39` are
        the same area, and `pref` is a different one for each user's prefecture)."""
        if self.municipality is not None:
            return f"municipality:{self.municipality.pk}"
        if self.jurisdiction is not None:
            return f"jurisdiction:{self.jurisdiction.pk}"
        if not self.prefecture_code:
            return "national"
        return f"prefecture:{self.prefecture_code}"

    @property
    def name(self) -> str:
        return self.name_in(english=get_language() == "en")

    def name_in(self, *, english: bool) -> str:
        """The name, the language decided by the caller (`core.models`' rule: the English
        name when there is one): the selector names 2,200 scopes, and asking for the active
        language each time was half of its cost."""
        place = self.municipality or self.jurisdiction
        if place is not None:
            return place.name_en if english and place.name_en else place.name_ja
        if not self.prefecture_code:
            return _("全国")
        return prefecture_name(self.prefecture_code)

    @property
    def jurisdiction_id(self) -> int | None:
        """The jurisdiction of a jurisdiction scope (None for a municipality's scope): the
        key of stored targets and baselines."""
        if self.kind == "jurisdiction" and self.jurisdiction is not None:
            return self.jurisdiction.pk
        return None

    @property
    def municipality_id(self) -> int | None:
        return self.municipality.pk if self.municipality is not None else None

    def q(self, path: str = "") -> Q:
        """A filter for rows whose municipality (reached through `path`) is in the scope.

        `path` leads to a Municipality foreign key (`"municipality"`, `"case__municipality"`);
        empty means the Municipality model itself. Records are filtered on the scope's
        municipality ids (`municipality_ids`), not through a join to the municipality table:
        with the ids spelled out PostgreSQL knows how many rows to expect and plans for them.
        The national scope filters nothing (an empty Q): every row counts, and no filter is
        cheaper than a list of every municipality. Beware `Q(...) | scope.q(...)`: Django
        drops an empty Q from an OR, so such a filter must treat the national scope apart.
        """
        if self.is_national:
            return Q()
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
        """The ids of the scope's municipalities (one baked query, none for a municipality's
        own scope; then remembered: a Scope is built per request or command and never
        changes)."""
        if self.municipality is not None:
            return [self.municipality.pk]
        if self.jurisdiction is not None:
            return _JURISDICTION_IDS(self.jurisdiction.pk)
        if self.prefecture_code:
            return access.prefecture_municipality_ids(self.prefecture_code)
        return list(Municipality.objects.values_list("pk", flat=True))

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


# --- baked queries over a scope -------------------------------------------------------------

_SCOPE_VALUES: dict[str, Callable[[Scope], Any]] = {
    "prefecture_code": lambda scope: scope.prefecture_code,
    "municipality_ids": lambda scope: scope.municipality_ids,
    "jurisdiction_pk": lambda scope: scope.jurisdiction.pk if scope.jurisdiction else None,
    "municipality_pk": lambda scope: scope.municipality.pk if scope.municipality else None,
}


class BakedScope:
    """A scope as the builder of a `scoped_baked` query sees it: its kind (and whether it has
    a jurisdiction) fixed, its values (the prefecture's code, the municipalities' ids, the
    jurisdiction's id) arguments of the baked query. `q(path)` filters on the ids as
    `Scope.q` does (the national scope: an empty Q, with the same caveat about ORs)."""

    def __init__(
        self, kind: str, has_jurisdiction: bool, values: dict[str, Any], read: set[str] | None
    ) -> None:
        self.kind = kind
        self.has_jurisdiction = has_jurisdiction
        self._values = values
        self._read = read

    @property
    def is_national(self) -> bool:
        return self.kind == "national"

    def _value(self, name: str) -> Any:
        if self._read is not None:
            self._read.add(name)
        elif name not in self._values:
            raise BakingError(
                f"a scoped baked query read the scope's {name} only with some arguments"
            )
        return self._values[name]

    @property
    def prefecture_code(self) -> str:
        return "" if self.is_national else self._value("prefecture_code")

    @property
    def municipality_ids(self) -> list[int]:
        if self.is_national:
            raise BakingError("the national scope's municipalities are every one: use q()")
        ids: list[int] = self._value("municipality_ids")
        return ids

    @property
    def jurisdiction_pk(self) -> int | None:
        """The scope's jurisdiction (a jurisdiction's scope, or a municipality's own)."""
        return self._value("jurisdiction_pk") if self.has_jurisdiction else None

    @property
    def jurisdiction_id(self) -> int | None:
        """`Scope.jurisdiction_id`: a jurisdiction scope's own (the key of stored rows)."""
        return self.jurisdiction_pk if self.kind == "jurisdiction" else None

    @property
    def municipality_id(self) -> int | None:
        """`Scope.municipality_id`: a municipality scope's own."""
        return self._value("municipality_pk") if self.kind == "municipality" else None

    def q(self, path: str = "") -> Q:
        if self.is_national:
            return Q()
        return Q(**{f"{path or 'pk'}__in": self.municipality_ids})

    def q_or_prefecture_wide(self) -> Q:
        """Rows of a municipality in the scope, or prefecture-wide rows (no municipality) of
        the scope's prefecture: a resource, a publicity action. The national scope: every
        row (not through the OR, which would drop its empty Q)."""
        if self.is_national:
            return Q()
        return (Q(municipality__isnull=True) | self.q("municipality")) & Q(
            prefecture_code=self.prefecture_code
        )


class ScopedBaked:
    """A baked query (`core.baked`) over a KPI scope: `build(scope, *args)` gets a
    `BakedScope`. One compiled statement per kind of scope (and per number of municipalities,
    as for any list argument); the scope's values it reads are filled in per call.

    Which values the builder reads is found by building it once with the real scope, the
    first time a kind is seen; each value read must reach the SQL as a parameter, like any
    baked argument."""

    def __init__(self, build: Callable[..., Any]) -> None:
        self.build = build
        self._kinds: dict[tuple[str, bool], tuple[tuple[str, ...], Baked]] = {}

    def _for(self, scope: Scope, args: tuple[Any, ...]) -> tuple[Baked, tuple[Any, ...]]:
        key = (scope.kind, scope.jurisdiction is not None)
        found = self._kinds.get(key)
        if found is None:
            read: set[str] = set()
            values = (
                {} if scope.is_national else {n: value(scope) for n, value in _SCOPE_VALUES.items()}
            )
            self.build(BakedScope(*key, values, read), *args)
            names = tuple(name for name in _SCOPE_VALUES if name in read)

            def build(*values_and_args: Any) -> Any:
                values = dict(zip(names, values_and_args[: len(names)], strict=True))
                return self.build(BakedScope(*key, values, None), *values_and_args[len(names) :])

            build.__qualname__ = getattr(self.build, "__qualname__", "scoped")
            found = self._kinds[key] = (names, Baked(build))
        names, query = found
        return query, tuple(_SCOPE_VALUES[name](scope) for name in names)

    def __call__(self, scope: Scope, *args: Any) -> list[Any]:
        query, values = self._for(scope, args)
        return query(*values, *args)

    def one(self, scope: Scope, *args: Any) -> dict[str, Any]:
        """`Baked.one`: the row of a builder that returns `core.baked.totals(...)`."""
        query, values = self._for(scope, args)
        return query.one(*values, *args)


def scoped_baked(build: Callable[..., Any]) -> ScopedBaked:
    return ScopedBaked(build)


_JURISDICTION_IDS = baked(
    lambda pk: Municipality.objects.filter(jurisdiction_id=pk).values_list("pk", flat=True)
)


def prefecture_scope(code: str | None = None, *, named: bool = False) -> Scope:
    return Scope(prefecture_code=code or settings.DEFAULT_PREFECTURE_CODE, named=named)


def national_scope() -> Scope:
    return Scope(prefecture_code="")


def scope_from_token(token: str, *, prefecture_code: str | None = None) -> Scope:
    """`all`, `pref`, `pref-NN`, a jurisdiction id or a municipality code → the scope. No
    permission check (the commands; the views pick among `scopes_for_user`)."""
    token = (token or "").strip()
    if token in ("", PREFECTURE_TOKEN):
        return prefecture_scope(prefecture_code)
    if token == NATIONAL_TOKEN:
        return national_scope()
    if token.startswith(NAMED_PREFECTURE_PREFIX):
        code = token.removeprefix(NAMED_PREFECTURE_PREFIX)
        if code not in PREFECTURES:
            raise ScopeNotFound(_("都道府県コード %(code)s はありません。") % {"code": code})
        return prefecture_scope(code, named=True)
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
        _(
            "範囲「%(token)s」は all（全国）、pref、pref-都道府県コード（pref-13 など）、"
            "管轄のID、市町村コード（6桁）のいずれかです。"
        )
        % {"token": token}
    )


_JURISDICTIONS_COUNTED = baked(
    lambda ids: (
        Jurisdiction.objects.filter(pk__in=ids)
        .annotate(municipality_count=Count("municipalities"))
        # The model's order, which a grouped query does not keep by itself: the first scope is
        # the dashboard's default.
        .order_by("prefecture_code", "sort_order", "pk")
    )
)


def scopes_for_user(user: User) -> list[Scope]:
    """The scopes the user may open, widest first (2 queries).

    A user who sees every prefecture (`accounts.scope.sees_every_prefecture`: a
    prefecture-level role with a blank prefecture code) first gets the national scope, then
    each prefecture with municipalities in the database (`pref-NN`). Other prefecture-level
    users get their own prefecture (`pref`). Then every jurisdiction whose municipalities the
    user sees entirely; then each visible municipality.

    A national user has some 2,200 scopes: the municipalities share their jurisdictions'
    instances (one query, marking those the user sees whole) rather than one joined copy each.
    """
    municipalities = list(access.aggregate_municipalities(user))
    # The municipalities' jurisdictions with how many municipalities each has: the user sees
    # one whole (`accounts.scope.aggregate_jurisdictions`) when all of them are visible.
    visible: Counter[int] = Counter(m.jurisdiction_id for m in municipalities)
    loaded = {j.pk: j for j in _JURISDICTIONS_COUNTED(list(visible))}
    cached = Municipality._meta.get_field("jurisdiction").set_cached_value
    for municipality in municipalities:
        cached(municipality, loaded[municipality.jurisdiction_id])
    jurisdictions = [  # in the model's order: prefecture, sort order, id
        Scope(prefecture_code=jurisdiction.prefecture_code, jurisdiction=jurisdiction)
        for jurisdiction in loaded.values()
        if visible[jurisdiction.pk] == jurisdiction.municipality_count
    ]
    municipality_scopes = [
        Scope(
            prefecture_code=municipality.prefecture_code,
            jurisdiction=municipality.jurisdiction,
            municipality=municipality,
        )
        for municipality in municipalities
    ]
    scopes: list[Scope] = []
    if access.sees_every_prefecture(user):
        # The user sees every municipality: their prefectures are the prefectures.
        scopes.append(national_scope())
        codes = sorted({m.prefecture_code for m in municipalities})
        scopes += [prefecture_scope(code, named=True) for code in codes]
    elif access.sees_prefecture(user):
        scopes.append(prefecture_scope(user.prefecture_code or None))
    return scopes + jurisdictions + municipality_scopes
