"""The audit search page: admins only, filtered, paginated, itself audited."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Action, audit_record

URL = reverse("audit:list")


def make_events(n: int, *, user=None, municipality=None, action=Action.VIEW, when=None):
    when = when or timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=when):
        return [
            audit_record(
                action=action,
                user=user,
                object_type="cases.case",
                object_id=str(1000 + i),
                municipality_id=municipality.pk if municipality else None,
            )
            for i in range(n)
        ]


def listed_ids(response) -> set[str]:
    return {e.object_id for e in response.context["events"]}


@pytest.mark.django_db
def test_admin_sees_the_trail_newest_first(login, admin_user, counselor, kochi_city) -> None:
    make_events(3, user=counselor, municipality=kochi_city)
    response = login(admin_user).get(URL)
    assert response.status_code == 200
    events = response.context["events"]
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    body = response.content.decode()
    assert "counselor" in body and "高知市" in body
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_viewing_the_trail_is_itself_one_list_row(login, admin_user) -> None:
    client = login(admin_user)
    before = AuditEvent.objects.filter(action=Action.LIST).count()
    client.get(URL, {"action": "view", "object_type": "cases.case"})
    rows = AuditEvent.objects.filter(action=Action.LIST)
    assert rows.count() == before + 1
    row = rows.first()
    assert row.object_type == "audit.auditevent"
    assert row.filters == {"action": "view", "object_type": "cases.case"}
    assert row.username == "admin"


@pytest.mark.parametrize("who", ["counselor", "prefecture_staff", "center"])
@pytest.mark.django_db
def test_other_roles_are_refused_and_the_refusal_is_audited(request, login, who) -> None:
    user = request.getfixturevalue(who)
    for url in (URL, reverse("audit:export")):
        response = login(user).get(url)
        assert response.status_code == 403
    assert AuditEvent.objects.filter(action=Action.DENIED, user=user).count() == 2
    assert not AuditEvent.objects.filter(action__in=[Action.LIST, Action.EXPORT]).exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client) -> None:
    for url in (URL, reverse("audit:export")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_filter_by_user_action_object_and_municipality(
    login, admin_user, counselor, outsider, kochi_city, muroto
) -> None:
    make_events(2, user=counselor, municipality=kochi_city)
    make_events(1, user=outsider, municipality=muroto, action=Action.UPDATE)
    client = login(admin_user)

    by_user = client.get(URL, {"username": "outsider"}).context["events"]
    assert {e.username for e in by_user} == {"outsider"}

    by_action = client.get(URL, {"action": "update"}).context["events"]
    assert [e.username for e in by_action] == ["outsider"]

    by_object = client.get(URL, {"object_type": "cases.case", "object_id": "1001"})
    assert [e.username for e in by_object.context["events"]] == ["counselor"]

    by_place = client.get(URL, {"municipality": muroto.pk}).context["events"]
    assert {e.municipality_id for e in by_place} == {muroto.pk}


@pytest.mark.django_db
def test_filter_by_date_range_in_local_days(login, admin_user, counselor) -> None:
    tokyo = timezone.get_current_timezone()
    make_events(1, user=counselor, when=dt.datetime(2026, 4, 30, 23, 59, tzinfo=tokyo))
    make_events(2, user=counselor, when=dt.datetime(2026, 5, 1, 0, 1, tzinfo=tokyo))
    make_events(1, user=counselor, when=dt.datetime(2026, 5, 2, 0, 0, tzinfo=tokyo))
    client = login(admin_user)
    response = client.get(
        URL, {"username": "counselor", "date_from": "2026-05-01", "date_to": "2026-05-01"}
    )
    assert response.context["page"].paginator.count == 2


@pytest.mark.django_db
def test_reversed_date_range_is_an_error_next_to_the_field(login, admin_user) -> None:
    response = login(admin_user).get(URL, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["date_to"]
    assert list(response.context["events"]) == []


@pytest.mark.django_db
def test_pagination_keeps_the_filter(login, admin_user, counselor) -> None:
    make_events(120, user=counselor)
    client = login(admin_user)
    first = client.get(URL, {"username": "counselor"})
    assert len(first.context["events"]) == 50
    assert first.context["page"].paginator.num_pages == 3
    assert "username=counselor&amp;page=2" in first.content.decode()
    third = client.get(URL, {"username": "counselor", "page": 3})
    assert len(third.context["events"]) == 20


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(
    login, admin_user, counselor, outsider, kochi_city, muroto, django_assert_num_queries
) -> None:
    make_events(30, user=counselor, municipality=kochi_city)
    make_events(30, user=outsider, municipality=muroto)
    client = login(admin_user)
    # session, user, the admin's second-factor device (django-otp's OTPMiddleware), count,
    # page, municipality names, LIST insert, municipality choices (rendering the filter),
    # session save (savepoint, update, release).
    with django_assert_num_queries(11):
        response = client.get(URL)
    assert len(response.context["events"]) == 50
