"""Reads of the audit trail."""

from django.db.models import Q, QuerySet

from accounts.access import prefecture_users
from accounts.types import AnyUser
from audit.models import AuditEvent
from core.models import Municipality


def events_for(user: AnyUser) -> QuerySet[AuditEvent]:
    """The rows an admin may read: those about their prefecture's municipalities or written by
    its accounts, plus unattributed rows (no user, no municipality: the purge, failed logins
    of unknown names). An admin with a blank prefecture code reads every row."""
    code = getattr(user, "prefecture_code", "")
    if not code:
        return AuditEvent.objects.all()
    municipalities = Municipality.objects.filter(prefecture_code=code).values("pk")
    return AuditEvent.objects.filter(
        Q(municipality_id__in=municipalities)
        | Q(municipality_id__isnull=True, user_id__in=prefecture_users(user).values("pk"))
        | Q(municipality_id__isnull=True, user__isnull=True)
    )
