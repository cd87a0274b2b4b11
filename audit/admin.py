from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.selectors import events_for


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: the trail is append-only."""

    list_display = ["at", "username", "role", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "role"]
    search_fields = ["username", "object_type", "object_id"]
    date_hierarchy = "at"
    prefecture_path = None  # confined by events_for below

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        # The admin's prefecture only (audit.selectors.events_for), like /audit/.
        return events_for(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
