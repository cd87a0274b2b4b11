import pytest
from django.urls import reverse

from tests.factories import (
    AgencyFactory,
    CaseMeetingFactory,
    MunicipalStatusFactory,
    PlatformFactory,
)

pytestmark = pytest.mark.django_db


def test_admin_manages_agencies_and_shows_the_rest_read_only(login, admin_user):
    agency = AgencyFactory()
    platform = PlatformFactory()
    status = MunicipalStatusFactory()
    meeting = CaseMeetingFactory(minutes="（秘）母親の体調")
    client = login(admin_user)
    assert client.get(reverse("admin:platforms_agency_change", args=[agency.pk])).status_code == 200
    assert client.get(reverse("admin:platforms_agency_add")).status_code == 200
    for name, obj in [
        ("platform", platform),
        ("municipalstatus", status),
        ("casemeeting", meeting),
    ]:
        assert client.get(reverse(f"admin:platforms_{name}_changelist")).status_code == 200
        page = client.get(reverse(f"admin:platforms_{name}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert "母親" not in page.content.decode()
        assert client.get(reverse(f"admin:platforms_{name}_add")).status_code == 403
