"""Who may open which case page: outsiders get 404, prefecture staff 403, everywhere."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import Case

CASE_URLS = [
    # (url name, needs a consultation id, needs a member id, methods)
    ("cases:detail", False, False, ["get"]),
    ("cases:edit", False, False, ["get", "post"]),
    ("cases:close", False, False, ["get", "post"]),
    ("cases:suspend", False, False, ["get", "post"]),
    ("cases:reopen", False, False, ["get", "post"]),
    ("cases:consultation_create", False, False, ["post"]),
    ("cases:consultation_edit", True, False, ["get", "post"]),
    ("cases:member_add", False, False, ["get", "post"]),
    ("cases:member_edit", False, True, ["get", "post"]),
    ("cases:member_remove", False, True, ["get", "post"]),
]
CASES = [
    pytest.param(name, with_consultation, with_member, method, id=f"{name}-{method}")
    for name, with_consultation, with_member, methods in CASE_URLS
    for method in methods
]


@pytest.fixture
def member(case, counselor):
    return services.household_member_add(user=counselor, case=case, relationship="mother")


def url_for(name: str, case: Case, member, with_consultation: bool, with_member: bool) -> str:
    args: list[int] = [case.pk]
    if with_consultation:
        args.append(case.consultations.get().pk)
    if with_member:
        args.append(member.pk)
    return reverse(name, args=args)


@pytest.mark.parametrize(("name", "with_consultation", "with_member", "method"), CASES)
def test_outsider_gets_404_on_every_case_view(
    login, outsider, case, member, name, with_consultation, with_member, method
) -> None:
    client = login(outsider)
    url = url_for(name, case, member, with_consultation, with_member)
    response = getattr(client, method)(url, {"reason": "x", "on": "2026-01-01", "version": 1})
    assert response.status_code == 404
    assert case.number not in response.content.decode()
    assert "山田" not in response.content.decode()
    case.refresh_from_db()
    assert case.version == 1 and case.status == "intake"
    assert AuditEvent.objects.filter(action="denied", user=outsider).exists()


@pytest.mark.parametrize(("name", "with_consultation", "with_member", "method"), CASES)
def test_prefecture_staff_get_403_on_every_case_view(
    login, prefecture_staff, case, member, name, with_consultation, with_member, method
) -> None:
    client = login(prefecture_staff)
    url = url_for(name, case, member, with_consultation, with_member)
    response = getattr(client, method)(url, {"reason": "x", "on": "2026-01-01", "version": 1})
    assert response.status_code == 403
    assert "山田" not in response.content.decode()


@pytest.mark.parametrize("name", ["cases:list", "cases:intake"])
def test_prefecture_staff_get_403_on_the_list_and_intake(login, prefecture_staff, name) -> None:
    response = login(prefecture_staff).get(reverse(name))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="denied", user=prefecture_staff).count() == 1


@pytest.mark.parametrize(("name", "with_consultation", "with_member", "method"), CASES)
def test_anonymous_is_sent_to_login(
    client, case, member, name, with_consultation, with_member, method
) -> None:
    url = url_for(name, case, member, with_consultation, with_member)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_member_of_another_case_is_404_even_within_scope(
    login, counselor, case, member, colleague
) -> None:
    from tests.cases.conftest import open_case

    other = open_case(colleague, case.municipality, kana="べつ")
    url = reverse("cases:member_edit", args=[other.pk, member.pk])
    assert login(counselor).get(url).status_code == 404


def test_consultation_of_another_case_is_404_even_within_scope(
    login, counselor, case, colleague
) -> None:
    from tests.cases.conftest import open_case

    other = open_case(colleague, case.municipality, kana="べつ")
    url = reverse("cases:consultation_edit", args=[other.pk, case.consultations.get().pk])
    assert login(counselor).get(url).status_code == 404


def test_aki_counselor_sees_muroto_cases_but_not_kochi(
    login, aki_counselor, muroto_case, case
) -> None:
    client = login(aki_counselor)
    assert client.get(muroto_case.get_absolute_url()).status_code == 200
    assert client.get(case.get_absolute_url()).status_code == 404


def test_center_and_admin_see_every_case(login, center, admin_user, case, muroto_case) -> None:
    for user in (center, admin_user):
        client = login(user)
        assert client.get(case.get_absolute_url()).status_code == 200
        assert client.get(muroto_case.get_absolute_url()).status_code == 200


def test_case_pages_are_not_cached(login, counselor, case) -> None:
    response = login(counselor).get(case.get_absolute_url())
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("pk", [10**20, 2**63])
def test_an_id_beyond_64_bits_is_an_audited_404(login, counselor, case, pk) -> None:
    """A hand-typed id no column can hold: the same 404 and denial row as any unknown id
    (SQLite cannot bind it; core.baked runs such a call as the queryset)."""
    response = login(counselor).get(reverse("cases:detail", args=[pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", user=counselor).exists()
