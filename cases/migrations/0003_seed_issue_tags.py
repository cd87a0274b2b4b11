"""Seed the usual complex-issue tags (複合課題). Admins edit them afterwards."""

from django.db import migrations

TAGS = [
    # code, name_ja, name_en
    ("8050", "8050問題", "8050 problem"),
    ("young-carer", "ヤングケアラー", "Young carer"),
    ("double-care", "ダブルケア", "Double care"),
    ("hoarding", "ゴミ屋敷", "Hoarding"),
    ("medical-care", "医療的ケアが必要", "Needs medical care"),
    ("poverty", "生活困窮", "Financial hardship"),
    ("domestic-violence", "家庭内暴力", "Domestic violence"),
    ("mental-illness", "精神疾患の疑い", "Suspected mental illness"),
    ("developmental", "発達障害の疑い", "Suspected developmental disorder"),
    ("school-refusal", "不登校経験", "History of school non-attendance"),
    ("nursing-care", "介護が必要な家族", "Family member needing care"),
    ("disability", "障害（手帳あり）", "Disability (certified)"),
    ("debt", "多重債務", "Multiple debts"),
    ("isolation", "社会的孤立", "Social isolation"),
]


def seed(apps, schema_editor):
    IssueTag = apps.get_model("cases", "IssueTag")
    for order, (code, name_ja, name_en) in enumerate(TAGS, start=1):
        IssueTag.objects.update_or_create(
            code=code,
            defaults={"name_ja": name_ja, "name_en": name_en, "sort_order": order * 10},
        )


def unseed(apps, schema_editor):
    IssueTag = apps.get_model("cases", "IssueTag")
    IssueTag.objects.filter(code__in=[code for code, _ja, _en in TAGS], cases=None).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_person_kana_key_case_rules")]

    operations = [migrations.RunPython(seed, unseed)]
