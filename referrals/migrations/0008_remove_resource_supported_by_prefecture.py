from django.db import migrations


class Migration(migrations.Migration):
    """The yes/no flag is replaced by dated support periods (programme.PlaceSupport)."""

    dependencies = [
        ("referrals", "0007_kind_history_and_stamps"),
        ("programme", "0002_place_support_from_flag"),
    ]

    operations = [
        migrations.RemoveField(model_name="resource", name="supported_by_prefecture"),
    ]
