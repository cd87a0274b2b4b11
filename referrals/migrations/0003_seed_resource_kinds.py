"""Seed the resource kinds.

Target three counts "居場所等": 居場所 and 就労体験-type places (docs/counting-rules.md, K3). 就労訓練・中間的
就労 is the work-training kind behind target four; it is not counted as 居場所等 by default.
Admins change either flag in Django admin (ResourceKind); this migration only fills an
empty table and never overwrites what an admin set.
"""

from django.db import migrations

KINDS = [
    # code, name_ja, name_en, counts_as_ibasho, is_work_training
    ("ibasho", "居場所", "Ibasho (place to belong)", True, False),
    ("work_training", "就労訓練・中間的就労", "Work training / intermediate employment", False, True),
    ("work_experience", "就労体験", "Work experience", True, True),
    ("employment_support", "就労支援機関", "Employment support agency", False, False),
    ("medical", "医療機関", "Medical institution", False, False),
    ("consultation", "相談機関", "Consultation agency", False, False),
    ("other", "その他", "Other", False, False),
]


def seed_kinds(apps, schema_editor):
    ResourceKind = apps.get_model("referrals", "ResourceKind")
    for order, (code, name_ja, name_en, ibasho, training) in enumerate(KINDS, start=1):
        ResourceKind.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "counts_as_ibasho": ibasho,
                "is_work_training": training,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_resource_opened_on_referral_status_dates"),
    ]

    operations = [
        migrations.RunPython(seed_kinds, migrations.RunPython.noop),
    ]
