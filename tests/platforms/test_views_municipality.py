import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.fiscal import current_fiscal_year
from platforms.models import MunicipalStatus, Platform
from tests.factories import AgencyFactory, CaseMeetingFactory, PlatformFactory

pytestmark = pytest.mark.django_db
KOCHI = "392014"


def _url(name: str, *args: object) -> str:
    return reverse(f"platforms:{name}", args=args)


def test_prefecture_staff_see_the_municipality_read_only(login, prefecture_staff):
    PlatformFactory(notes="毎月第2火曜に開催")
    CaseMeetingFactory(held_on=dt.date(2023, 7, 1))
    client = login(prefecture_staff)
    response = client.get(_url("municipality_detail", KOCHI))
    body = response.content.decode()
    assert response.status_code == 200
    assert "毎月第2火曜に開催" in body
    assert _url("platform_edit", KOCHI) not in body
    year = next(y for y in response.context["years"] if y.fiscal_year == 2023)
    assert year.meeting_count == 1
    assert client.get(_url("platform_edit", KOCHI)).status_code == 403
    assert client.post(_url("platform_edit", KOCHI), {"status": "none"}).status_code == 403
    assert client.get(_url("status_edit", KOCHI, 2023)).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


def test_counselors_cannot_open_the_municipality_page(login, counselor):
    assert login(counselor).get(_url("municipality_detail", KOCHI)).status_code == 403


def test_unknown_municipality_is_404(login, center):
    assert login(center).get(_url("municipality_detail", "999999")).status_code == 404


def test_center_records_a_platform(login, center, kochi_city):
    agency = AgencyFactory()
    client = login(center)
    assert (
        _url("platform_edit", KOCHI)
        in client.get(_url("municipality_detail", KOCHI)).content.decode()
    )
    response = client.post(
        _url("platform_edit", KOCHI),
        {
            "status": Platform.Status.ESTABLISHED,
            "established_on": "2022-05-01",
            "coordinator": agency.pk,
            "members": [agency.pk],
            "notes": "",
            "version": 0,
        },
    )
    assert response.status_code == 302
    platform = Platform.objects.get(municipality=kochi_city)
    assert (platform.established_on, platform.coordinator, platform.version) == (
        dt.date(2022, 5, 1),
        agency,
        1,
    )
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="platforms.platform"
    ).exists()


def test_platform_established_without_a_date_shows_the_error_next_to_the_field(login, admin_user):
    response = login(admin_user).post(
        _url("platform_edit", KOCHI), {"status": Platform.Status.ESTABLISHED, "version": 0}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["established_on"]
    assert not Platform.objects.exists()


def test_platform_edit_from_a_stale_page_is_refused(login, center):
    platform = PlatformFactory(notes="最新")
    Platform.objects.filter(pk=platform.pk).update(version=3)
    response = login(center).post(
        _url("platform_edit", KOCHI),
        {"status": Platform.Status.PREPARING, "notes": "古い", "version": 2},
    )
    assert response.status_code == 200
    assert "ほかの人がこの記録を先に更新しました" in response.content.decode()
    platform.refresh_from_db()
    assert platform.notes == "最新"


def test_center_records_the_status_of_a_fiscal_year(login, center, kochi_city):
    response = login(center).post(
        _url("status_edit", KOCHI, 2023),
        {"needs_assessed_on": "2023-09-01", "jusoteki": "on", "version": 0},
    )
    assert response.status_code == 302
    status = MunicipalStatus.objects.get(municipality=kochi_city, fiscal_year=2023)
    assert (status.needs_assessed_on, status.jusoteki) == (dt.date(2023, 9, 1), True)


def test_status_date_outside_the_fiscal_year_is_shown_next_to_the_field(login, center):
    response = login(center).post(
        _url("status_edit", KOCHI, 2023), {"needs_assessed_on": "2023-03-31", "version": 0}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["needs_assessed_on"]
    assert not MunicipalStatus.objects.exists()


def test_status_edit_of_a_future_year_is_404(login, center):
    url = _url("status_edit", KOCHI, current_fiscal_year() + 1)
    assert login(center).get(url).status_code == 404
