"""The record export plans its query for every row, only while it writes (bench/ found the
cursor's default plan walking every consultation at national scale)."""

import pytest
from django.db import connection
from django.http import QueryDict

from exports import files as services
from exports.registry import KINDS
from tests.factories import CaseFactory, ConsultationFactory


def _fraction() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_export_plans_for_all_rows_while_writing_and_restores_the_setting(
    tmp_path, admin_user, kochi_city, monkeypatch
) -> None:
    case = CaseFactory(person__municipality=kochi_city)
    ConsultationFactory.create_batch(3, case=case)
    before = _fraction()
    seen = []
    write_table = services.write_table

    def spy(*args, **kwargs):
        seen.append(_fraction())
        return write_table(*args, **kwargs)

    monkeypatch.setattr(services, "write_table", spy)
    count = services.write_export(
        kind=KINDS["consultations"],
        user=admin_user,
        params=QueryDict(),
        include_personal=False,
        target=tmp_path / "consultations.xlsx",
    )
    assert count == 3
    assert (tmp_path / "consultations.xlsx").exists()
    expected_during = "1" if connection.vendor == "postgresql" else None
    assert seen == [expected_during]
    assert _fraction() == before
