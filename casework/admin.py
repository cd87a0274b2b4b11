from django.contrib import admin

from casework.models import AssessmentDomain, ProgressStep, SupportStage


@admin.register(AssessmentDomain)
class AssessmentDomainAdmin(admin.ModelAdmin[AssessmentDomain]):
    list_display = ["name_ja", "code", "guidance", "sort_order", "active"]
    list_editable = ["sort_order", "active"]


@admin.register(SupportStage)
class SupportStageAdmin(admin.ModelAdmin[SupportStage]):
    list_display = ["name_ja", "code", "sort_order", "active"]
    list_editable = ["sort_order", "active"]


@admin.register(ProgressStep)
class ProgressStepAdmin(admin.ModelAdmin[ProgressStep]):
    list_display = ["name_ja", "code", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
