# The assessment's void fields are now core.models.Voidable's (as on consultations, cases and
# employment outcomes). The columns are the same (voided_at, voided_by_id, void_reason, and the
# assessment_void_has_reason check): only voided_by's label changes, so no data moves.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_reference_lists"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="assessment",
            name="voided_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="取消した人",
            ),
        ),
    ]
