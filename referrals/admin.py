"""Admins manage the resource directory and decide which kinds count as 居場所等."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from referrals.models import Resource, ResourceKind


@admin.register(ResourceKind)
class ResourceKindAdmin(admin.ModelAdmin[ResourceKind]):
    list_display = ["name_ja", "name_en", "counts_as_ibasho", "is_work_training", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["code", "name_ja", "name_en"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The two flags decide targets three and four: an existing kind changes them with an
        # effective date and a preview (referrals:kind_settings_change), never here.
        return ["counts_as_ibasho", "is_work_training"] if obj is not None else []


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin[Resource]):
    list_display = [
        "name",
        "kind",
        "operator_type",
        "municipality",
        "supported_by_prefecture",
        "active",
        "opened_on",
    ]
    list_filter = ["kind", "operator_type", "active", "supported_by_prefecture", "prefecture_code"]
    search_fields = ["name", "address", "notes"]
    list_select_related = ["kind", "municipality"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A resource moves to another kind from a date on (referrals:resource_kind_change).
        return ["kind"] if obj is not None else []

    fieldsets = [
        (None, {"fields": ["name", "kind", "operator_type", "active"]}),
        (
            _("所在・連絡先"),
            {"fields": ["prefecture_code", "municipality", "address", "contact"]},
        ),
        (
            _("利用"),
            {
                "fields": [
                    "opening_days",
                    "capacity",
                    "opened_on",
                    "closed_on",
                    "supported_by_prefecture",
                    "notes",
                ]
            },
        ),
    ]
