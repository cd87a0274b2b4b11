"""Referral.municipality: the case's municipality, copied onto each referral (a case never
changes municipality), so that scope filters and the home page's follow-up lists need not
join every case of a municipality. Existing rows are filled from their case."""

import django.db.models.deletion
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db import migrations, models
from django.db.migrations.state import StateApps
from django.db.models import OuterRef, Q, Subquery


def copy_case_municipality(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Referral = apps.get_model("referrals", "Referral")
    Case = apps.get_model("cases", "Case")
    Referral.objects.update(
        municipality=Subquery(Case.objects.filter(pk=OuterRef("case")).values("municipality")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_consult_latest_idx"),
        ("core", "0001_initial"),
        ("referrals", "0003_seed_resource_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="municipality",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.municipality",
                verbose_name="市町村",
            ),
        ),
        migrations.RunPython(copy_case_municipality, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="referral",
            name="municipality",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.municipality",
                verbose_name="市町村",
            ),
        ),
        migrations.RemoveIndex(model_name="referral", name="referral_arranging_idx"),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=Q(status="arranging"),
                fields=["municipality", "arranging_on"],
                name="referral_muni_arranging_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=Q(connected_on__isnull=False),
                fields=["municipality", "connected_on", "resource"],
                name="referral_muni_connected_idx",
            ),
        ),
    ]
