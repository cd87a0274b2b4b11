"""Admins edit targets in the Django admin; every change leaves an audit row."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from kpi.models import Indicator, Target

pytestmark = pytest.mark.django_db


def form(**overrides: object) -> dict[str, object]:
    data = {
        "fiscal_year": 2026,
        "indicator": Indicator.NEW_CONSULTATIONS,
        "value": 220,
        "prefecture_code": "39",
        "jurisdiction": "",
        "municipality": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_target_and_it_is_audited(login, admin_user) -> None:
    response = login(admin_user).post(reverse("admin:kpi_target_add"), form())
    assert response.status_code == 302
    target = Target.objects.get(fiscal_year=2026, indicator=Indicator.NEW_CONSULTATIONS)
    assert target.value == 220
    event = AuditEvent.objects.get(action="create", object_type="kpi.target")
    assert event.object_id == str(target.pk)
    assert "value" in event.changed_fields


def test_target_without_value_is_refused_except_for_k2(login, admin_user) -> None:
    client = login(admin_user)
    response = client.post(reverse("admin:kpi_target_add"), form(value=""))
    assert response.status_code == 200
    assert "目標値を入力してください。" in response.content.decode()
    assert not Target.objects.filter(fiscal_year=2026).exists()
    response = client.post(
        reverse("admin:kpi_target_add"),
        form(value="", indicator=Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS),
    )
    assert response.status_code == 302


def test_counselor_cannot_open_the_target_admin(login, counselor) -> None:
    response = login(counselor).get(reverse("admin:kpi_target_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
