"""Seed Kochi's R5 targets and the R1/R3 baselines from the plan.

Targets are stored once for FY2023 (令和5年度): a target holds for later years until an admin
stores a row for a later year. The K2 target is stored empty, meaning "every municipality in
the scope" (34/34 for Kochi). Idempotent: rows that exist are left as they are (an admin may
have edited them).
"""

from django.db import migrations

PREFECTURE = "39"
SOURCE = "高知県ひきこもり支援の計画（R5目標・R3現状）"

TARGETS = [
    # fiscal_year, indicator, value, note
    (2023, "new_consultations", 200, "200件以上"),
    (2023, "municipalities_with_case_meetings", None, "全市町村（34/34）"),
    (2023, "ibasho_links", 100, "100件以上"),
    (2023, "employed_after_intermediate", 10, "10人以上"),
]

BASELINES = [
    # fiscal_year, indicator, value, period
    (2019, "municipalities_with_case_meetings", 10, "R1"),
    (2021, "new_consultations", 211, "R3.4〜12月"),
    (2021, "ibasho_links", 119, "R3.4〜12月"),
    (2021, "employed_after_intermediate", 2, "R3"),
    (2021, "survey_persons", 692, "R3"),
    (2021, "needs_assessed", 9, "R3.10時点"),
    (2021, "platforms", 14, "R3.10時点"),
    (2021, "supervised_meetings", 10, "R3.12時点"),
    (2021, "prefecture_ibasho", 6, "R3"),
    (2021, "work_support_sites", 1, "R3"),
]


def seed(apps, schema_editor):
    Target = apps.get_model("kpi", "Target")
    Baseline = apps.get_model("kpi", "Baseline")
    for fiscal_year, indicator, value, note in TARGETS:
        Target.objects.get_or_create(
            prefecture_code=PREFECTURE,
            jurisdiction=None,
            municipality=None,
            fiscal_year=fiscal_year,
            indicator=indicator,
            defaults={"value": value, "note": note},
        )
    for fiscal_year, indicator, value, period in BASELINES:
        Baseline.objects.get_or_create(
            prefecture_code=PREFECTURE,
            jurisdiction=None,
            municipality=None,
            fiscal_year=fiscal_year,
            indicator=indicator,
            defaults={"value": value, "period": period, "source": SOURCE},
        )


def unseed(apps, schema_editor):
    Target = apps.get_model("kpi", "Target")
    Baseline = apps.get_model("kpi", "Baseline")
    scope = {"prefecture_code": PREFECTURE, "jurisdiction": None, "municipality": None}
    for fiscal_year, indicator, _value, _note in TARGETS:
        Target.objects.filter(fiscal_year=fiscal_year, indicator=indicator, **scope).delete()
    for fiscal_year, indicator, _value, _period in BASELINES:
        Baseline.objects.filter(fiscal_year=fiscal_year, indicator=indicator, **scope).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0001_targets_baselines_surveys"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
