"""Finding 6: with a second prefecture (徳島県) loaded, each admin stays inside their own:
the Django admin, the audit trail, the import history, resources and every list. Nobody
changes their own role or scope; changing anyone's is audited."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Action, audit_record
from exports.models import ImportBatch
from tests.factories import CaseFactory, CaseMeetingFactory, PersonFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokushima_records(tokushima):
    case = CaseFactory(person=PersonFactory(municipality=tokushima.city, name="徳島 太郎"))
    meeting = CaseMeetingFactory(municipality=tokushima.city, decisions="徳島の決定事項")
    resource = ResourceFactory(
        name="徳島の居場所", prefecture_code="36", municipality=tokushima.city
    )
    batch = ImportBatch.objects.create(
        uploaded_by=tokushima.counselor,
        file_name="tokushima.xlsx",
        file_sha256="0" * 64,
        rows_total=1,
    )
    audit_record(action=Action.VIEW, user=tokushima.counselor, obj=case)
    return {"case": case, "meeting": meeting, "resource": resource, "batch": batch}


def test_the_admin_site_lists_only_the_admins_prefecture(
    login, admin_user, tokushima, tokushima_records
) -> None:
    client = login(admin_user)
    meeting = tokushima_records["meeting"]
    pages = {
        "admin:platforms_casemeeting_changelist": "徳島の決定事項",
        "admin:referrals_resource_changelist": "徳島の居場所",
        "admin:core_municipality_changelist": "徳島市",
        "admin:accounts_user_changelist": "tokushima-counselor",
    }
    for name, secret in pages.items():
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert secret not in response.content.decode(), name
    change = client.get(reverse("admin:platforms_casemeeting_change", args=[meeting.pk]))
    assert change.status_code == 302  # "does not exist": Django's answer for a hidden row
    assert "徳島の決定事項" not in change.content.decode()
    # The other admin sees their own prefecture's meeting.
    other = login(tokushima.admin).get(
        reverse("admin:platforms_casemeeting_change", args=[meeting.pk])
    )
    assert "徳島の決定事項" in other.content.decode()


def test_the_audit_trail_shows_only_the_admins_prefecture(
    login, admin_user, tokushima, tokushima_records
) -> None:
    client = login(admin_user)
    page = client.get(reverse("audit:list"))
    assert "tokushima-counselor" not in page.content.decode()
    admin_page = client.get(reverse("admin:audit_auditevent_changelist"))
    assert "tokushima-counselor" not in admin_page.content.decode()
    # …while the Tokushima admin reads it.
    own = login(tokushima.admin).get(reverse("audit:list"))
    assert "tokushima-counselor" in own.content.decode()


def test_the_import_history_shows_only_the_admins_prefecture(
    login, admin_user, tokushima, tokushima_records
) -> None:
    page = login(admin_user).get(reverse("exports:ledger_history"))
    assert "tokushima.xlsx" not in page.content.decode()
    own = login(tokushima.admin).get(reverse("exports:ledger_history"))
    assert "tokushima.xlsx" in own.content.decode()


def test_the_resource_directory_shows_only_the_users_prefecture(
    login, counselor, tokushima, tokushima_records
) -> None:
    page = login(counselor).get(reverse("referrals:resource_list"))
    assert "徳島の居場所" not in page.content.decode()
    detail = login(counselor).get(
        reverse("referrals:resource_detail", args=[tokushima_records["resource"].pk])
    )
    assert detail.status_code == 404


def test_no_case_list_crosses_the_boundary(login, admin_user, center, tokushima_records) -> None:
    for user in (admin_user, center):
        body = login(user).get(reverse("cases:list")).content.decode()
        assert "徳島 太郎" not in body
        assert tokushima_records["case"].number not in body


def _user_form(client, user):
    from tests.security.test_admin_audit import _post_data

    url = reverse("admin:accounts_user_change", args=[user.pk])
    return url, _post_data(client.get(url).context["adminform"].form)


def test_an_admin_cannot_change_their_own_role_or_scope(
    login, admin_user, kochi_city, tokushima
) -> None:
    client = login(admin_user)
    url, data = _user_form(client, admin_user)
    page = client.get(url).content.decode()
    assert 'name="prefecture_code"' not in page and 'name="role"' not in page
    data.update(
        prefecture_code="", role="center", municipalities=[str(kochi_city.pk)], is_superuser=""
    )
    client.post(url, data)
    admin_user.refresh_from_db()
    assert admin_user.prefecture_code == "39"
    assert admin_user.role == "admin" and admin_user.is_superuser
    assert not admin_user.municipalities.exists()
    # The cases of the other prefecture stay out of reach.
    assert "徳島" not in client.get(reverse("cases:list")).content.decode()


def test_an_admin_cannot_move_someone_into_another_prefecture(
    login, admin_user, counselor, tokushima
) -> None:
    client = login(admin_user)
    url, data = _user_form(client, counselor)
    data["prefecture_code"] = "36"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "あなたの都道府県（39）" in response.content.decode()
    data["prefecture_code"] = "39"
    data["municipalities"] = [str(tokushima.city.pk)]
    response = client.post(url, data)
    assert response.status_code == 200  # not a choice: the other prefecture's municipality
    counselor.refresh_from_db()
    assert counselor.prefecture_code == "39"
    assert tokushima.city not in counselor.municipalities.all()


def test_changing_someones_scope_is_audited(login, admin_user, colleague, muroto) -> None:
    client = login(admin_user)
    url, data = _user_form(client, colleague)
    data["role"] = "center"
    assert client.post(url, data).status_code == 302
    [event] = AuditEvent.objects.filter(user=admin_user, action="update")
    assert event.object_type == "accounts.user" and event.object_id == str(colleague.pk)
    assert "role" in event.changed_fields


def test_a_resource_cannot_be_added_to_another_prefecture(login, admin_user, tokushima) -> None:
    from referrals.models import Resource, ResourceKind

    kind = ResourceKind.objects.first()
    response = login(admin_user).post(
        reverse("admin:referrals_resource_add"),
        {
            "name": "よその居場所",
            "kind": kind.pk,
            "operator_type": Resource._meta.get_field("operator_type").choices[0][0],
            "active": "on",
            "prefecture_code": "36",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["prefecture_code"], errors
    assert not Resource.objects.filter(name="よその居場所").exists()
