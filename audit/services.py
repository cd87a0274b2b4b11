"""The audit trail's one write path.

Call `audit_record` inside the same transaction as the write it describes: if the audit row
cannot be written, the exception rolls the write back (fail closed).
"""

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from audit.models import AuditEvent

Action = AuditEvent.Action


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # REMOTE_ADDR is set by the WSGI server; behind a proxy, gunicorn's --forwarded-allow-ips
    # makes it the client address. X-Forwarded-For is never trusted directly.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    municipality_id: int | None = None,
    changed_fields: Iterable[str] = (),
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
    reason: str = "",
) -> AuditEvent:
    if user is None and request is not None:
        user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        if municipality_id is None:
            municipality_id = getattr(obj, "municipality_id", None)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        role=getattr(user, "role", "") if authenticated else "",
        ip_address=client_ip(request),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        municipality_id=municipality_id,
        changed_fields=sorted(changed_fields),
        filters=filters or {},
        row_count=row_count,
        reason=reason[:500],
        path=(request.path[:500] if request is not None else ""),
    )


def changed_field_names(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the fields whose values differ; values themselves are never logged."""
    return sorted(name for name, value in after.items() if before.get(name) != value)
