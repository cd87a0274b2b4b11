"""The prefecture's support periods of places are edited here (training and publicity have
their own pages: /programme/)."""

from django.contrib import admin

from programme.models import PlaceSupport


@admin.register(PlaceSupport)
class PlaceSupportAdmin(admin.ModelAdmin[PlaceSupport]):
    list_display = ["resource", "kind", "starts_on", "ends_on", "incentive"]
    list_filter = ["kind", "incentive"]
    list_select_related = ["resource"]
    search_fields = ["resource__name", "note"]
    autocomplete_fields = ["resource"]
    fields = ["resource", "kind", "starts_on", "ends_on", "incentive", "incentive_note", "note"]
