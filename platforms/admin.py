"""Agencies are master data managed here. Platforms, municipal status and meetings are shown
read-only: their edits go through the audited pages (`platforms.services`)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from platforms.models import Agency, CaseMeeting, MunicipalStatus, Platform


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "kind", "municipality", "prefecture_code", "active"]
    list_filter = ["kind", "active", "prefecture_code"]
    search_fields = ["name"]
    autocomplete_fields = ["municipality"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Platform)
class PlatformAdmin(ReadOnlyAdmin):
    list_display = ["municipality", "status", "established_on", "coordinator", "updated_at"]
    list_filter = ["status"]
    fields = ["municipality", "status", "established_on", "coordinator", "members", "notes"]


@admin.register(MunicipalStatus)
class MunicipalStatusAdmin(ReadOnlyAdmin):
    list_display = ["municipality", "fiscal_year", "needs_assessed_on", "jusoteki"]
    list_filter = ["fiscal_year", "jusoteki"]


@admin.register(CaseMeeting)
class CaseMeetingAdmin(ReadOnlyAdmin):
    # The minutes and the cases discussed are left out: read them on the meeting page,
    # where the read is scoped and audited.
    list_display = ["held_on", "municipality", "kind", "supervision"]
    list_filter = ["kind", "supervision"]
    date_hierarchy = "held_on"
    fields = ["municipality", "held_on", "kind", "supervision", "agencies", "decisions"]
