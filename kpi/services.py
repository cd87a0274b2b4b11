"""Writes for the KPI: closing a fiscal year (年度確定) and reopening it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.scope import is_admin
from accounts.types import AnyUser, User
from audit.services import Action, audit_record
from core.fiscal import era_label, fiscal_year_range
from kpi.closing import closings_for, figures_of
from kpi.models import YearClosing
from kpi.scopes import Scope
from kpi.selectors import kpi_report


def can_close_years(user: AnyUser) -> bool:
    """The regional support centre and admins close years (DOMAIN.md)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in (User.Role.CENTER, User.Role.ADMIN)
    )


def can_reopen_years(user: AnyUser) -> bool:
    return is_admin(user)


@transaction.atomic
def year_close(
    *, fiscal_year: int, scope: Scope, user: User, request: HttpRequest | None = None
) -> YearClosing:
    """Store the year's figures for the scope as reported (counted now, for the whole year).

    The caller has checked that the scope is one of the user's (`kpi.scopes.scopes_for_user`).
    """
    if not can_close_years(user):
        raise PermissionDenied
    if scope.is_national:
        raise ValidationError(_("全国の範囲は確定できません。都道府県ごとに確定してください。"))
    end = fiscal_year_range(fiscal_year)[1]
    if end >= timezone.localdate():
        raise ValidationError(
            _("%(year)sは年度末（%(date)s）が過ぎてから確定できます。")
            % {"year": era_label(fiscal_year), "date": date_format(end)}
        )
    if closings_for(scope, [fiscal_year]):
        raise ValidationError(
            _("%(year)sはすでに確定しています。") % {"year": era_label(fiscal_year)}
        )
    # What is stored is counted from the records, not read from the maintained aggregates.
    report = kpi_report(fiscal_year, scope, end, apply_closing=False, recount=True)
    try:
        with transaction.atomic():
            closing = YearClosing.objects.create(
                prefecture_code=scope.prefecture_code,
                jurisdiction_id=scope.jurisdiction_id,
                municipality_id=scope.municipality_id,
                fiscal_year=fiscal_year,
                figures=figures_of(report),
                closed_at=timezone.now(),
                closed_by=user,
                closed_by_name=user.get_username(),
            )
    except IntegrityError as exc:  # closed at the same moment by someone else
        raise ValidationError(
            _("%(year)sはすでに確定しています。") % {"year": era_label(fiscal_year)}
        ) from exc
    audit_record(
        action=Action.CREATE,
        request=request,
        user=user,
        obj=closing,
        municipality_id=scope.municipality_id,
        changed_fields=["fiscal_year", "figures"],
        filters={"fy": fiscal_year, "scope": scope.token},
    )
    return closing


@transaction.atomic
def year_reopen(
    *,
    fiscal_year: int,
    scope: Scope,
    reason: str,
    user: User,
    request: HttpRequest | None = None,
) -> YearClosing:
    """Take a closed year back to live counting (admins; the reported figures are kept)."""
    if not can_reopen_years(user):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("確定を取り消す理由を入力してください。")})
    closing = closings_for(scope, [fiscal_year]).get(fiscal_year)
    if closing is None:
        raise ValidationError(_("%(year)sは確定していません。") % {"year": era_label(fiscal_year)})
    updated = YearClosing.objects.filter(pk=closing.pk, reopened_at__isnull=True).update(
        reopened_at=timezone.now(), reopened_by=user, reopen_reason=reason[:500]
    )
    if updated == 0:
        raise ValidationError(_("%(year)sは確定していません。") % {"year": era_label(fiscal_year)})
    closing.refresh_from_db()
    audit_record(
        action=Action.UPDATE,
        request=request,
        user=user,
        obj=closing,
        municipality_id=scope.municipality_id,
        changed_fields=["reopened_at", "reopened_by", "reopen_reason"],
        filters={"fy": fiscal_year, "scope": scope.token},
        reason=reason,
    )
    return closing
