from django.contrib import admin

from programme.models import (
    PlaceSupport,
    PublicityAction,
    TrainingAttendance,
    TrainingEvent,
)
from referrals.models import Resource


class PlaceSupportInline(admin.TabularInline[PlaceSupport, Resource]):
    """The prefecture's support periods, edited on the resource's admin page."""

    model = PlaceSupport
    extra = 0
    fields = ["kind", "starts_on", "ends_on", "incentive", "incentive_note", "note"]


@admin.register(PlaceSupport)
class PlaceSupportAdmin(admin.ModelAdmin[PlaceSupport]):
    list_display = ["resource", "kind", "starts_on", "ends_on", "incentive"]
    list_filter = ["kind", "incentive"]
    list_select_related = ["resource"]
    search_fields = ["resource__name", "note"]
    autocomplete_fields = ["resource"]


class TrainingAttendanceInline(admin.TabularInline[TrainingAttendance, TrainingEvent]):
    model = TrainingAttendance
    extra = 0


@admin.register(TrainingEvent)
class TrainingEventAdmin(admin.ModelAdmin[TrainingEvent]):
    list_display = ["held_on", "title", "kind", "jurisdiction", "audience"]
    list_filter = ["kind", "audience", "jurisdiction"]
    search_fields = ["title", "organiser"]
    inlines = [TrainingAttendanceInline]


@admin.register(PublicityAction)
class PublicityActionAdmin(admin.ModelAdmin[PublicityAction]):
    list_display = ["done_on", "title", "kind", "municipality", "quantity"]
    list_filter = ["kind"]
    search_fields = ["title", "where"]
