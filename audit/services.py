"""The audit trail's one write path.

Call `audit_record` inside the same transaction as the write it describes: if the audit row
cannot be written, the exception rolls the write back (fail closed).
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.types import AnyUser
from audit.models import AuditEvent

Action = AuditEvent.Action


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR is set by the WSGI server; behind a proxy, gunicorn's --forwarded-allow-ips
    # makes it the client address. X-Forwarded-For is never trusted directly.
    return request.META.get("REMOTE_ADDR") or None


# Query-string hygiene: what a LIST/EXPORT row may keep of a filter (finding 5 of issue 16).
FILTER_MAX_KEYS = 20
FILTER_MAX_KEY_LENGTH = 40
FILTER_MAX_VALUE_LENGTH = 100
FILTER_MAX_LIST_ITEMS = 50
MASK = "***"


def _capped(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_capped(v) for v in list(value)[:FILTER_MAX_LIST_ITEMS]]
    if isinstance(value, dict):
        return _cap_filters(value)
    return str(value)[:FILTER_MAX_VALUE_LENGTH]


def _cap_filters(filters: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key)[:FILTER_MAX_KEY_LENGTH]: _capped(value)
        for key, value in list(filters.items())[:FILTER_MAX_KEYS]
    }


def filters_for_audit(
    cleaned_data: dict[str, Any], *, masked: Iterable[str] = ()
) -> dict[str, Any]:
    """A validated filter form's values as an audit row keeps them: only the form's own
    (known) keys, free-text searches masked (they hold names), objects as ids, dates as ISO
    text, lengths capped. Call it with `form.cleaned_data` of a *valid* form only."""
    hidden = set(masked)
    recorded: dict[str, Any] = {}
    for name, value in cleaned_data.items():
        if isinstance(value, models.QuerySet | list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        if value in (None, "", [], False):
            continue
        if name in hidden:
            recorded[name] = MASK
        elif hasattr(value, "pk"):
            recorded[name] = value.pk
        elif isinstance(value, dt.date):
            recorded[name] = value.isoformat()
        else:
            recorded[name] = value
    return _cap_filters(recorded)


def _event_fields(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: AnyUser | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    municipality_id: int | None = None,
    changed_fields: Iterable[str] = (),
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
    reason: str = "",
) -> dict[str, Any]:
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None  # an anonymous visitor: no user on the row
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        if municipality_id is None:
            municipality_id = getattr(obj, "municipality_id", None)
    return dict(
        user=user,
        username=user.get_username() if user is not None else "",
        role=getattr(user, "role", "") if user is not None else "",
        ip_address=client_ip(request),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        municipality_id=municipality_id,
        changed_fields=sorted(changed_fields),
        # Capped here too, whatever the caller passed: the trail is append-only.
        filters=_cap_filters(filters or {}),
        row_count=row_count,
        reason=reason[:500],
        path=(request.path[:500] if request is not None else ""),
    )


def audit_event(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: AnyUser | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    municipality_id: int | None = None,
    changed_fields: Iterable[str] = (),
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
    reason: str = "",
) -> AuditEvent:
    """The audit row `audit_record` writes, unsaved (for `AuditEvent.objects.bulk_create` in
    bulk writes such as the ledger import, in the same transaction)."""
    return AuditEvent(
        **_event_fields(
            action=action,
            request=request,
            user=user,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            municipality_id=municipality_id,
            changed_fields=changed_fields,
            filters=filters,
            row_count=row_count,
            reason=reason,
        )
    )


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: AnyUser | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    municipality_id: int | None = None,
    changed_fields: Iterable[str] = (),
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        **_event_fields(
            action=action,
            request=request,
            user=user,
            obj=obj,
            object_type=object_type,
            object_id=object_id,
            municipality_id=municipality_id,
            changed_fields=changed_fields,
            filters=filters,
            row_count=row_count,
            reason=reason,
        )
    )


def changed_field_names(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ; values themselves are never logged."""
    return sorted(name for name, value in after.items() if before.get(name) != value)


def audit_purge(*, retention_days: int | None = None, now: dt.datetime | None = None) -> int:
    """Delete audit rows older than the retention period, and audit the purge itself.

    On PostgreSQL the append-only trigger (migration 0002) refuses DELETE unless the
    transaction has set `audit.allow_purge`; SET LOCAL lasts until this transaction ends, and
    is switched off again before the PURGE row is written.
    """
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL audit.allow_purge = 'on'")
        # Nothing references audit rows, so this is one DELETE statement (no cascade).
        deleted, _by_model = AuditEvent.objects.filter(at__lt=cutoff).delete()
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL audit.allow_purge = 'off'")
        audit_record(
            action=Action.PURGE,
            object_type="audit.auditevent",
            filters={"before": cutoff.isoformat(), "retention_days": days},
            row_count=deleted,
        )
    return deleted
