"""The access layer: the one way a view, a queryset or a form asks "may this user…?".

`accounts.scope` holds the rules (which municipalities a user sees); this module is how code
applies them. Use only these names — a view that writes its own gate is a bug:

Querysets and single records
    ScopedQuerySet            base class of every personal-data queryset: `.in_scope(user)`
                              (`scope_path`: the municipality lookup, "municipality" unless
                              set); `.in_municipalities(ids)` where a view has read the
                              scope's ids already (scope.personal_municipality_ids)
    CaseChildQuerySet         the same for a record that belongs to a case (consultations,
                              assessments, plans…): in scope exactly when its case is
    get_for_user(qs, user, pk, request=)
                              one record in the user's scope, or an audited 404 (`deny`)
    in_prefecture(qs, user, path="prefecture_code")
                              master data / admin lists confined to the user's prefecture
                              (a blank prefecture code on the user = every prefecture)
    users_with_personal_scope(municipality)
                              the inverse query: active users who may read that municipality's
                              personal records (counselors directly or through its jurisdiction,
                              the centre and admins of its prefecture)
    assignable_users(municipality)
                              who may be assigned a case or a follow-up there (the previous
                              query, casework roles only)
    prefecture_users(user)    the accounts of the user's prefecture (admin lists, audit trail)

Refusals (always audited, one DENIED row each)
    deny(request, user=, object_type=, object_id=)   -> Http404 to raise (outside the scope:
                              the same answer as for a record that does not exist)
    forbid(request, object_type=, reason=)           -> PermissionDenied to raise (a role
                              without the right at all: 403)

View decorators (login required, never cached, the refusal audited)
    @personal_data_view       counselors, the centre, admins (prefecture staff: 403)
    @admin_view               admins only
    @prefecture_view          prefecture-level roles (centre, prefecture staff, admins)
    @prefecture_editor_view   the centre and admins (prefecture-wide roles with personal scope)
    @login_view               any logged-in user (pages without personal data)

A new personal-data model and its page:

    class SupportPlan(models.Model):        # belongs to a case
        objects = CaseChildQuerySet.as_manager()

    class SurveyEntry(models.Model):        # has a municipality of its own
        objects = ScopedQuerySet.as_manager()   # or a subclass with the model's own filters

    @personal_data_view
    def plan_detail(request, pk):
        plan = get_for_user(SupportPlan.objects.select_related("case"), request.user, pk,
                            request=request)
        audit_record(action=Action.VIEW, request=request, obj=plan)
        ...

`cases.selectors.get_case_for_user` and `cases.selectors.deny` stay as thin aliases of
`get_for_user` and `deny`.
"""

import functools
from collections.abc import Callable
from typing import Any, Self, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache

from accounts import scope
from accounts.models import User
from accounts.types import AnyUser
from audit.services import Action, audit_record
from core.baked import Baked
from core.models import Municipality

M = TypeVar("M", bound=models.Model)
View = Callable[..., HttpResponseBase]

# The roles that carry cases: who may be assigned a case or a follow-up action.
CASEWORK_ROLES = (User.Role.COUNSELOR, User.Role.CENTER)


# --- Refusals ----------------------------------------------------------------------------------


def deny(
    request: HttpRequest | None,
    *,
    user: AnyUser | None = None,
    object_type: str,
    object_id: Any = "",
    reason: str = "",
) -> Http404:
    """Audit a refused access to a record and return the 404 to raise (no hint that it exists)."""
    audit_record(
        action=Action.DENIED,
        request=request,
        user=user,
        object_type=object_type[:50],
        object_id=str(object_id)[:50],
        reason=reason,
    )
    return Http404()


def forbid(
    request: HttpRequest, *, object_type: str = "", object_id: Any = "", reason: str = ""
) -> PermissionDenied:
    """Audit a refusal by role and return the PermissionDenied (403) to raise."""
    audit_record(
        action=Action.DENIED,
        request=request,
        object_type=object_type[:50],
        object_id=str(object_id)[:50],
        reason=reason,
    )
    return PermissionDenied()


# --- Querysets ---------------------------------------------------------------------------------


class ScopedQuerySet(models.QuerySet[M]):
    """A personal-data queryset: `in_scope(user)` keeps the rows of the user's municipalities.
    A subclass names the lookup from its rows to their municipality in `scope_path`."""

    scope_path = "municipality"

    def in_scope(self, user: AnyUser) -> Self:
        return self.in_municipalities(scope.personal_municipality_ids(user))

    def in_municipalities(self, municipality_ids: list[int]) -> Self:
        """The rows of these municipalities: for a view that reads the user's scope ids
        (scope.personal_municipality_ids) for something else as well, so as to read them once.
        A literal list, not a subquery: PostgreSQL estimates it (bench/, the case list)."""
        return self.filter(**{f"{self.scope_path}__in": municipality_ids})


class CaseChildQuerySet(ScopedQuerySet[M]):
    """Records that belong to a case (consultations, assessments, plans, reviews…): in scope
    exactly when their case is."""

    scope_path = "case__municipality"


def get_for_user[G_M: models.Model](
    queryset: "ScopedQuerySet[G_M]", user: AnyUser, pk: Any, *, request: HttpRequest | None = None
) -> G_M:
    """The record `pk` if it is in the user's scope; otherwise an audited 404."""
    try:
        obj = queryset.in_scope(user).filter(pk=pk).first()
    except (ValueError, TypeError):
        obj = None
    if obj is None:
        raise deny(request, user=user, object_type=queryset.model._meta.label_lower, object_id=pk)
    return obj


def get_baked_for_user[G_M: models.Model](
    query: Baked,
    model: type[G_M],
    user: AnyUser,
    pk: Any,
    *,
    request: HttpRequest | None = None,
) -> G_M:
    """`get_for_user` through a baked query (core.baked) of (the user's scope ids, pk) whose
    builder filters with `in_municipalities` and `pk`, as `get_for_user` does."""
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        obj = None
    else:
        obj = query.first(scope.personal_municipality_ids(user), pk)
    if not isinstance(obj, model):
        raise deny(request, user=user, object_type=model._meta.label_lower, object_id=pk)
    return obj


def in_prefecture[Q_M: models.Model](
    queryset: QuerySet[Q_M], user: AnyUser, path: str = "prefecture_code"
) -> QuerySet[Q_M]:
    """Rows of the user's prefecture (`path` leads to a prefecture code); everything when the
    user's prefecture code is blank (a national installation's admin)."""
    code = getattr(user, "prefecture_code", None)
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(**{path: code}) if code else queryset


def prefecture_users(user: AnyUser) -> QuerySet[User]:
    """Accounts that belong to the user's prefecture: a prefecture-level account of that
    prefecture, or a counselor whose municipalities or jurisdictions lie in it."""
    code = getattr(user, "prefecture_code", "")
    if not code:
        return User.objects.all()
    return User.objects.filter(
        Q(prefecture_code=code, role__in=[User.Role.ADMIN, User.Role.CENTER, User.Role.PREFECTURE])
        | Q(role=User.Role.COUNSELOR, municipalities__prefecture_code=code)
        | Q(role=User.Role.COUNSELOR, jurisdictions__prefecture_code=code)
        | Q(pk=user.pk)
    ).distinct()


def users_with_personal_scope(
    municipalities: Municipality | QuerySet[Municipality],
) -> QuerySet[User]:
    """Active users who may read the personal records of `municipalities` (one, or any of a
    queryset): the inverse of `scope.personal_municipalities`. Counselors assigned directly or
    through the jurisdiction, the centre and admins of the prefecture (or of every prefecture)."""
    if isinstance(municipalities, Municipality):
        one = municipalities
        by_municipality = Q(municipalities=one) | Q(jurisdictions=one.jurisdiction_id)
        prefecture = Q(prefecture_code__in=[one.prefecture_code, ""])
    else:
        by_municipality = Q(municipalities__in=municipalities.values("pk")) | Q(
            jurisdictions__in=municipalities.values("jurisdiction_id")
        )
        prefecture = Q(prefecture_code__in=municipalities.values("prefecture_code")) | Q(
            prefecture_code=""
        )
    # Subqueries, not lists: one query, whatever the number of municipalities.
    return (
        User.objects.filter(is_active=True)
        .filter(
            (Q(role=User.Role.COUNSELOR) & by_municipality)
            | (Q(role__in=[User.Role.CENTER, User.Role.ADMIN]) & prefecture)
        )
        .distinct()
    )


def assignable_users(municipalities: Municipality | QuerySet[Municipality]) -> QuerySet[User]:
    """Who may be assigned a case (or a follow-up action) of `municipalities`: the casework
    roles among `users_with_personal_scope` (cases/forms.py and platforms/selectors.py)."""
    return users_with_personal_scope(municipalities).filter(role__in=CASEWORK_ROLES)


# --- View decorators ---------------------------------------------------------------------------


def _gate(rule: Callable[[AnyUser], bool], reason: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not rule(request.user):
                match = request.resolver_match
                raise forbid(
                    request,
                    object_type=(match.view_name if match else "")[:50],
                    object_id=next(iter(kwargs.values()), ""),
                    reason=reason,
                )
            return view(request, *args, **kwargs)

        return login_required(never_cache(wrapped))

    return decorator


def _logged_in(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _prefecture_editor(user: AnyUser) -> bool:
    return scope.sees_prefecture(user) and scope.can_see_personal_data(user)


personal_data_view = _gate(scope.can_see_personal_data, "no personal-data rights")
admin_view = _gate(scope.is_admin, "admins only")
prefecture_view = _gate(scope.sees_prefecture, "prefecture-level roles only")
prefecture_editor_view = _gate(_prefecture_editor, "centre and admins only")
login_view = _gate(_logged_in, "inactive account")
