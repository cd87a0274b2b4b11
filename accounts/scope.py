"""Who may see what. Every view that shows records asks this module, and only this module.

Two questions, answered per user:
- which municipalities' personal records (cases, persons, consultations, minutes…) they may see;
- which municipalities' aggregate figures (counts, the dashboard) they may see.

Counselors see the municipalities they are assigned, directly or through a whole jurisdiction;
the regional support centre and admins see their prefecture (or every prefecture when theirs
is blank); prefecture staff see aggregates of their prefecture and no personal data at all.
"""

from contextvars import ContextVar
from typing import Any, TypeGuard

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.types import AnyUser
from core.baked import baked
from core.models import Jurisdiction, Municipality


def _active(user: AnyUser) -> TypeGuard[User]:
    return bool(user.is_authenticated and user.is_active)


def _prefecture_wide(user: User) -> QuerySet[Municipality]:
    qs = Municipality.objects.all()
    return qs.filter(prefecture_code=user.prefecture_code) if user.prefecture_code else qs


def can_see_personal_data(user: AnyUser) -> TypeGuard[User]:
    """Whether the user may see any personal record at all."""
    return _active(user) and user.role != User.Role.PREFECTURE


def personal_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose cases, persons and minutes the user may see."""
    if not can_see_personal_data(user):
        return Municipality.objects.none()
    if user.role in (User.Role.ADMIN, User.Role.CENTER):
        return _prefecture_wide(user)
    return Municipality.objects.filter(
        Q(pk__in=user.municipalities.values("pk"))
        | Q(jurisdiction__in=user.jurisdictions.values("pk"))
    )


# `personal_municipalities(user).values_list("pk", flat=True)`, per branch, as baked queries
# (core.baked: compiled once; every page reads them).
_every_municipality_id = baked(lambda: Municipality.objects.values_list("pk", flat=True))
# (Also a KPI scope's ids: kpi.scopes.Scope.municipality_ids.)
prefecture_municipality_ids = baked(
    lambda code: Municipality.objects.filter(prefecture_code=code).values_list("pk", flat=True)
)
_assigned_municipality_ids = baked(
    lambda user_id: Municipality.objects.filter(
        Q(pk__in=User(pk=user_id).municipalities.values("pk"))
        | Q(jurisdiction__in=User(pk=user_id).jurisdictions.values("pk"))
    ).values_list("pk", flat=True)
)


def _read_personal_municipality_ids(user: AnyUser) -> list[int]:
    """The ids of `personal_municipalities(user)`, in its order (one query; none without
    personal data)."""
    if not can_see_personal_data(user):
        return []
    if user.role in (User.Role.ADMIN, User.Role.CENTER):
        if user.prefecture_code:
            return prefecture_municipality_ids(user.prefecture_code)
        return _every_municipality_id()
    return _assigned_municipality_ids(user.pk)


# The scope ids already read in the request being answered, by user (ScopeMemoMiddleware):
# the home page's panels asked for them ten times, a query each. Outside a request (workers,
# commands, tests calling a function directly) nothing is remembered.
_request_memo: ContextVar[dict[tuple[Any, ...], list[int]] | None] = ContextVar(
    "scope_request_memo", default=None
)


def personal_municipality_ids(user: AnyUser) -> list[int]:
    """The ids of `personal_municipalities(user)`, read now (one small query), or once per
    request while one is answered.

    Record queries filter on this list rather than on the subquery: with the ids spelled out
    the planner knows how few municipalities (and so how few rows) are involved. Given the
    subquery (an OR of two memberships) it guesses most of the country and picks whole-table
    scans: the home page's latest consultations took 1.6 s instead of milliseconds on the
    national benchmark dataset (bench/).
    """
    memo = _request_memo.get()
    if memo is None or not _active(user):
        return _read_personal_municipality_ids(user)
    # What the rule reads of the user itself; memberships and municipalities are covered by
    # forget_scopes (accounts.signals) whenever they change.
    key = (user.pk, user.role, user.prefecture_code, user.is_active)
    if key not in memo:
        memo[key] = _read_personal_municipality_ids(user)
    return list(memo[key])


def remember_scopes() -> Any:
    """Start remembering scopes for the request being answered; returns the token that
    `stop_remembering_scopes` takes (accounts.middleware.ScopeMemoMiddleware)."""
    return _request_memo.set({})


def stop_remembering_scopes(token: Any) -> None:
    _request_memo.reset(token)


def forget_scopes() -> None:
    """Drop the scopes remembered in this request (a membership, a user or a municipality
    changed): the next question reads them again."""
    memo = _request_memo.get()
    if memo is not None:
        memo.clear()


def aggregate_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose aggregate figures the user may see."""
    if not _active(user):
        return Municipality.objects.none()
    if user.role == User.Role.PREFECTURE:
        return _prefecture_wide(user)
    return personal_municipalities(user)


def aggregate_jurisdictions(user: AnyUser) -> QuerySet[Jurisdiction]:
    """Jurisdictions whose municipalities are all within the user's aggregate scope."""
    visible = aggregate_municipalities(user)
    return (
        Jurisdiction.objects.filter(municipalities__in=visible)
        .exclude(municipalities__in=Municipality.objects.exclude(pk__in=visible.values("pk")))
        .distinct()
    )


def can_see_municipality(user: AnyUser, municipality_id: int) -> bool:
    """Whether the user may see personal records of one municipality: from the scope ids,
    so that in a request that read them already (a record's page, then its write) this asks
    the database nothing more."""
    return municipality_id in personal_municipality_ids(user)


def is_admin(user: AnyUser) -> TypeGuard[User]:
    return _active(user) and user.role == User.Role.ADMIN


def sees_prefecture(user: AnyUser) -> TypeGuard[User]:
    """Prefecture-level roles: the overview and prefecture-wide dashboard."""
    return _active(user) and user.role in (
        User.Role.ADMIN,
        User.Role.CENTER,
        User.Role.PREFECTURE,
    )


def sees_every_prefecture(user: AnyUser) -> bool:
    """Prefecture-level roles with a blank prefecture code: every prefecture's aggregates, each
    prefecture as a whole and the country as a whole (the national KPI scope)."""
    return sees_prefecture(user) and not user.prefecture_code
