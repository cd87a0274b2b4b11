"""The scope module as a table: user × municipality → may see personal data / aggregates."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import scope
from core.models import Municipality

KOCHI_CITY, MUROTO, AKI_CITY, SUSAKI = "392014", "392022", "392031", "392065"

# user fixture → {municipality code: (personal, aggregate)}
TABLE = {
    "counselor": {KOCHI_CITY: (True, True), MUROTO: (False, False), SUSAKI: (False, False)},
    "outsider": {KOCHI_CITY: (False, False), MUROTO: (True, True), AKI_CITY: (False, False)},
    "aki_counselor": {KOCHI_CITY: (False, False), MUROTO: (True, True), AKI_CITY: (True, True)},
    "center": {KOCHI_CITY: (True, True), MUROTO: (True, True), SUSAKI: (True, True)},
    "prefecture_staff": {KOCHI_CITY: (False, True), MUROTO: (False, True), SUSAKI: (False, True)},
    "admin_user": {KOCHI_CITY: (True, True), MUROTO: (True, True), SUSAKI: (True, True)},
}

CASES = [(who, code, expected) for who, row in TABLE.items() for code, expected in row.items()]


@pytest.mark.parametrize(("who", "code", "expected"), CASES)
def test_scope_table(request, who: str, code: str, expected: tuple[bool, bool]) -> None:
    user = request.getfixturevalue(who)
    municipality = Municipality.objects.get(code=code)
    personal = scope.personal_municipalities(user).filter(pk=municipality.pk).exists()
    aggregate = scope.aggregate_municipalities(user).filter(pk=municipality.pk).exists()
    assert (personal, aggregate) == expected
    assert scope.can_see_municipality(user, municipality.pk) is expected[0]


def test_aki_jurisdiction_counselor_sees_its_nine_municipalities(aki_counselor) -> None:
    assert scope.personal_municipalities(aki_counselor).count() == 9


def test_prefecture_staff_see_no_personal_data(prefecture_staff) -> None:
    assert scope.can_see_personal_data(prefecture_staff) is False
    assert scope.aggregate_municipalities(prefecture_staff).count() == 34


def test_anonymous_and_inactive_users_see_nothing(counselor) -> None:
    assert not scope.personal_municipalities(AnonymousUser()).exists()
    assert not scope.aggregate_municipalities(AnonymousUser()).exists()
    counselor.is_active = False
    assert not scope.personal_municipalities(counselor).exists()


def test_centre_of_another_prefecture_does_not_see_kochi(center) -> None:
    center.prefecture_code = "36"
    assert not scope.personal_municipalities(center).exists()


def test_aggregate_jurisdictions_only_whole_ones(
    counselor, aki_counselor, prefecture_staff
) -> None:
    assert list(scope.aggregate_jurisdictions(aki_counselor).values_list("name_ja", flat=True)) == [
        "安芸福祉保健所"
    ]
    # 高知市保健所 holds only 高知市, so the city counselor sees that jurisdiction whole.
    assert scope.aggregate_jurisdictions(counselor).count() == 1
    assert scope.aggregate_jurisdictions(prefecture_staff).count() == 6


def test_scope_ids_are_read_once_per_request_and_again_after_a_membership_change(
    counselor, kochi_city, muroto, django_assert_num_queries
) -> None:
    """Within a request (accounts.middleware.ScopeMemoMiddleware) the ids are one query
    however often they are asked for; a change of memberships or of the user is seen at once;
    outside a request nothing is remembered."""
    token = scope.remember_scopes()
    try:
        with django_assert_num_queries(1):
            assert scope.personal_municipality_ids(counselor) == [kochi_city.pk]
            assert scope.personal_municipality_ids(counselor) == [kochi_city.pk]
        counselor.municipalities.add(muroto)
        assert sorted(scope.personal_municipality_ids(counselor)) == sorted(
            [kochi_city.pk, muroto.pk]
        )
        counselor.is_active = False  # not saved: the rule reads the object as it is
        assert scope.personal_municipality_ids(counselor) == []
        counselor.is_active = True
        counselor.role = "prefecture"
        counselor.save()
        assert scope.personal_municipality_ids(counselor) == []
    finally:
        scope.stop_remembering_scopes(token)
    counselor.role = "counselor"
    with django_assert_num_queries(2):
        scope.personal_municipality_ids(counselor)
        scope.personal_municipality_ids(counselor)


def test_home_page_reads_the_scope_ids_once(login, counselor) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(counselor)
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    scope_reads = [
        q for q in ctx.captured_queries if q["sql"].startswith('SELECT "core_municipality"."id"')
    ]
    assert len(scope_reads) == 1
