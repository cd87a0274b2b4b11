"""EmploymentOutcome.municipality: the case's municipality, copied onto each outcome like
Referral.municipality, so that K4 and the scope filter need not join the cases."""

import django.db.models.deletion
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db import migrations, models
from django.db.migrations.state import StateApps
from django.db.models import OuterRef, Q, Subquery


def copy_case_municipality(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    EmploymentOutcome = apps.get_model("referrals", "EmploymentOutcome")
    Case = apps.get_model("cases", "Case")
    EmploymentOutcome.objects.update(
        municipality=Subquery(Case.objects.filter(pk=OuterRef("case")).values("municipality")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_referral_municipality"),
    ]

    operations = [
        migrations.AddField(
            model_name="employmentoutcome",
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
            model_name="employmentoutcome",
            name="municipality",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.municipality",
                verbose_name="市町村",
            ),
        ),
        migrations.AddIndex(
            model_name="employmentoutcome",
            index=models.Index(
                condition=Q(after_intermediate=True),
                fields=["municipality", "started_on"],
                name="employment_muni_interm_idx",
            ),
        ),
    ]
