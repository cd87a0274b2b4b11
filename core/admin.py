from django.contrib import admin

from core.models import Jurisdiction, Municipality


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin[Jurisdiction]):
    list_display = ["name_ja", "name_en", "prefecture_code", "sort_order"]
    list_filter = ["prefecture_code"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = ["code", "name_ja", "name_en", "kind", "jurisdiction", "prefecture_code"]
    list_filter = ["prefecture_code", "kind", "jurisdiction"]
    search_fields = ["code", "name_ja", "name_en"]
