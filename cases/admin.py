"""Admin for the reference lists only. Cases, persons and consultations are not registered:
personal data is reached through the scoped case pages, never through the admin."""

from django.contrib import admin

from cases.models import IssueTag


@admin.register(IssueTag)
class IssueTagAdmin(admin.ModelAdmin[IssueTag]):
    list_display = ["name_ja", "name_en", "code", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    list_filter = ["active"]
    search_fields = ["name_ja", "name_en", "code"]
    ordering = ["sort_order", "id"]
