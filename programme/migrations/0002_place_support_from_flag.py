"""Each resource flagged `supported_by_prefecture` gets one open-ended support period.

The flag had no dates: the period starts when the place opened (or, when that is not known,
on 1 April 2019, the first year the system reports), so past years keep counting it.
"""

import datetime as dt

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db import migrations
from django.db.migrations.state import StateApps

UNKNOWN_START = dt.date(2019, 4, 1)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Resource = apps.get_model("referrals", "Resource")
    PlaceSupport = apps.get_model("programme", "PlaceSupport")
    PlaceSupport.objects.bulk_create(
        PlaceSupport(
            resource=r,
            starts_on=r.opened_on or UNKNOWN_START,
            note="県の支援ありフラグから移行",
        )
        for r in Resource.objects.filter(supported_by_prefecture=True)
    )


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Resource = apps.get_model("referrals", "Resource")
    PlaceSupport = apps.get_model("programme", "PlaceSupport")
    supported = PlaceSupport.objects.values("resource_id")
    Resource.objects.filter(pk__in=supported).update(supported_by_prefecture=True)


class Migration(migrations.Migration):
    dependencies = [("programme", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
