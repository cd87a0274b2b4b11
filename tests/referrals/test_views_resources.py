"""The resource directory: every logged-in user, filters, search, pagination."""

import pytest
from django.urls import reverse

from core.models import Municipality
from referrals.models import Resource, ResourceKind
from tests.factories import ResourceFactory

URL = reverse("referrals:resource_list")


@pytest.fixture
def directory(kochi):
    ibasho = ResourceKind.objects.get(code="ibasho")
    medical = ResourceKind.objects.get(code="medical")
    muroto = Municipality.objects.get(code="392022")
    return {
        "npo": ResourceFactory(name="居場所あおば", kind=ibasho, opening_days="火・木"),
        "attaka": ResourceFactory(
            name="あったかふれあいセンター うみ",
            kind=ibasho,
            operator_type=Resource.Operator.ATTAKA_CENTER,
            municipality=muroto,
        ),
        "wide": ResourceFactory(
            name="県の居場所",
            kind=ibasho,
            municipality=None,
            operator_type=Resource.Operator.PREFECTURE,
        ),
        "clinic": ResourceFactory(
            name="みどりクリニック", kind=medical, operator_type=Resource.Operator.MEDICAL
        ),
        "closed": ResourceFactory(name="休止中の居場所", kind=ibasho, active=False),
        "elsewhere": ResourceFactory(
            name="他県の居場所", kind=ibasho, prefecture_code="38", municipality=None
        ),
    }


def names(response) -> set[str]:
    return {r.name for r in response.context["page"].object_list}


@pytest.mark.parametrize("who", ["counselor", "outsider", "prefecture_staff", "admin_user"])
def test_every_logged_in_user_sees_the_directory(request, login, directory, who) -> None:
    response = login(request.getfixturevalue(who)).get(URL)
    assert response.status_code == 200
    assert names(response) == {"居場所あおば", "あったかふれあいセンター うみ", "県の居場所",
                               "みどりクリニック"}  # fmt: skip


def test_anonymous_is_sent_to_login(client, directory) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "KIND_MEDICAL"}, {"みどりクリニック"}),
        ({"operator_type": "attaka"}, {"あったかふれあいセンター うみ"}),
        ({"municipality": "MUROTO"}, {"あったかふれあいセンター うみ", "県の居場所"}),
        ({"municipality": "wide"}, {"県の居場所"}),
        ({"active": "no"}, {"休止中の居場所"}),
        ({"q": "クリニック"}, {"みどりクリニック"}),
        ({"q": "火・木"}, {"居場所あおば"}),
        ({"q": "居場所 県"}, {"県の居場所"}),
    ],
)
def test_filters_narrow_the_list(login, counselor, directory, query, expected) -> None:
    replace = {
        "KIND_MEDICAL": str(ResourceKind.objects.get(code="medical").pk),
        "MUROTO": str(Municipality.objects.get(code="392022").pk),
    }
    query = {k: replace.get(v, v) for k, v in query.items()}
    response = login(counselor).get(URL, query)
    assert response.status_code == 200
    assert names(response) == expected


def test_all_states_include_inactive(login, counselor, directory) -> None:
    response = login(counselor).get(URL, {"active": "all"})
    assert "休止中の居場所" in names(response)


def test_list_paginates_and_keeps_the_filters(login, counselor, kochi) -> None:
    ResourceFactory.create_batch(30, kind=ResourceKind.objects.get(code="ibasho"))
    client = login(counselor)
    first = client.get(URL, {"q": "テスト"})
    assert len(first.context["page"].object_list) == 25
    assert "q=%E3%83%86%E3%82%B9%E3%83%88&amp;page=2" in first.content.decode()
    second = client.get(URL, {"q": "テスト", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_list_query_count_is_constant(login, counselor, kochi, django_assert_num_queries) -> None:
    kinds = list(ResourceKind.objects.all())
    for i in range(30):
        ResourceFactory(kind=kinds[i % len(kinds)],
                        municipality=Municipality.objects.order_by("code")[i % 34])  # fmt: skip
    client = login(counselor)
    client.get(URL)  # warm the session
    # Session and user, municipalities and kinds (filter choices), count, page of resources
    # (kind and municipality joined). The session was renewed by the warm-up request.
    with django_assert_num_queries(6):
        response = client.get(URL)
    assert len(response.context["page"].object_list) == 25


def test_detail_shows_the_resource_without_personal_data(login, prefecture_staff, directory):
    resource = directory["attaka"]
    response = login(prefecture_staff).get(reverse("referrals:resource_detail", args=[resource.pk]))
    assert response.status_code == 200
    assert "あったかふれあいセンター うみ" in response.content.decode()


def test_detail_of_another_prefectures_resource_is_404(login, counselor, directory) -> None:
    resource = directory["elsewhere"]
    response = login(counselor).get(reverse("referrals:resource_detail", args=[resource.pk]))
    assert response.status_code == 404


def test_the_django_admin_cannot_flip_an_existing_kinds_flags(login, admin_user, kochi) -> None:
    """Which kinds count is changed with an effective date (referrals:kind_settings_change),
    so that no past year is rewritten: Django's admin shows the flags read-only."""
    kind = ResourceKind.objects.get(code="work_training")
    url = reverse("admin:referrals_resourcekind_change", args=[kind.pk])
    response = login(admin_user).post(url, {
        "code": kind.code, "name_ja": kind.name_ja, "name_en": kind.name_en,
        "counts_as_ibasho": "on", "is_work_training": "on", "sort_order": kind.sort_order,
    })  # fmt: skip
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.counts_as_ibasho is False


def test_migration_seeds_ibasho_and_work_experience_as_ibasho(kochi) -> None:
    flags = {k.code: (k.counts_as_ibasho, k.is_work_training) for k in ResourceKind.objects.all()}
    assert flags == {
        "ibasho": (True, False),
        "work_training": (False, True),
        "work_experience": (True, True),
        "employment_support": (False, False),
        "medical": (False, False),
        "consultation": (False, False),
        "other": (False, False),
    }
