import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case
from tests.cases.conftest import days_ago
from tests.factories import CaseFactory, ConsultationFactory, PersonFactory

LIST = reverse("cases:list")


def numbers(response) -> list[str]:
    return [case.number for case in response.context["page"].object_list]


@pytest.fixture
def many_cases(kochi_city, counselor, tags) -> list[Case]:
    """60 高知市 cases, each with two consultations and a tag: enough for an N+1 to show."""
    cases = []
    for i in range(60):
        case = CaseFactory(
            person=PersonFactory(municipality=kochi_city),
            intake_date=days_ago(100 + i),
            assigned_counselor=counselor,
        )
        case.issue_tags.add(tags["8050"] if i % 2 else tags["poverty"])
        ConsultationFactory(case=case, date=case.intake_date)
        ConsultationFactory(case=case, date=days_ago(i), next_action_date=days_ago(i - 10))
        cases.append(case)
    return cases


def test_list_query_count_is_constant_with_a_full_page(
    login, counselor, many_cases, django_assert_num_queries
) -> None:
    client = login(counselor)
    client.get(LIST)  # the first request after login renews the session (a write)
    # session, user, count, audit insert, filter choices (municipality count, counselor,
    # issue tags), the page's ids, its rows (baked, cases.selectors.case_list_rows), tags.
    with django_assert_num_queries(10):
        response = client.get(LIST)
    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert len(rows) == 50
    # The rows, read by their ids, come in the list's order: newest intake first ...
    intakes = [case.intake_date for case in rows]
    assert intakes == sorted(intakes, reverse=True) and len(set(intakes)) == 50
    with django_assert_num_queries(10):
        response = client.get(LIST, {"page": 2, "status": "open", "o": "last_contact"})
    rows = response.context["page"].object_list
    assert len(rows) == 10
    # ... or the order asked for (here not the ids' order), with each row's activity.
    contacts = [case.last_contact_on for case in rows]
    assert None not in contacts and contacts == sorted(contacts)
    assert [case.pk for case in rows] != sorted(case.pk for case in rows)


def test_list_never_shows_out_of_scope_rows_whatever_the_query_string(
    login, counselor, case, muroto_case, muroto
) -> None:
    client = login(counselor)
    assert numbers(client.get(LIST)) == [case.number]
    response = client.get(LIST, {"municipality": muroto.pk})
    assert numbers(response) == [case.number]  # an out-of-scope choice is just invalid
    assert response.context["filter"].form.errors["municipality"]
    assert muroto_case.number not in response.content.decode()
    assert numbers(client.get(LIST, {"q": muroto_case.number})) == []
    assert numbers(client.get(LIST, {"q": "むろと"})) == []


def test_prefecture_wide_users_can_filter_by_municipality(
    login, center, case, muroto_case, muroto
) -> None:
    client = login(center)
    assert set(numbers(client.get(LIST))) == {case.number, muroto_case.number}
    assert numbers(client.get(LIST, {"municipality": muroto.pk})) == [muroto_case.number]


def test_keyword_search_matches_number_name_and_kana_in_either_script(
    login, counselor, case, kochi_city
) -> None:
    from tests.cases.conftest import open_case

    other = open_case(counselor, kochi_city, name="鈴木 花子", kana="すずき はなこ")
    client = login(counselor)
    assert numbers(client.get(LIST, {"q": "山田"})) == [case.number]
    assert numbers(client.get(LIST, {"q": "ヤマダ"})) == [case.number]
    assert numbers(client.get(LIST, {"q": "すずき　はなこ"})) == [other.number]
    assert numbers(client.get(LIST, {"q": other.number})) == [other.number]


def test_status_filter_and_open_pseudo_status(login, counselor, case, kochi_city) -> None:
    from cases import services
    from tests.cases.conftest import open_case

    closed = open_case(counselor, kochi_city, kana="しゅうけつ")
    services.case_close(
        user=counselor, case=closed, version=1, closed_on=days_ago(1), reason="終結"
    )
    client = login(counselor)
    assert numbers(client.get(LIST, {"status": "open"})) == [case.number]
    assert numbers(client.get(LIST, {"status": "closed"})) == [closed.number]


def test_overdue_filter_uses_the_latest_consultation(login, counselor, kochi_city) -> None:
    due = CaseFactory(person=PersonFactory(municipality=kochi_city), intake_date=days_ago(60))
    ConsultationFactory(case=due, date=days_ago(10), next_action_date=days_ago(1))
    done = CaseFactory(person=PersonFactory(municipality=kochi_city), intake_date=days_ago(60))
    ConsultationFactory(case=done, date=days_ago(10), next_action_date=days_ago(1))
    ConsultationFactory(case=done, date=days_ago(0), next_action_date=days_ago(-14))
    response = login(counselor).get(LIST, {"overdue": "on"})
    assert numbers(response) == [due.number]


def test_tag_age_band_counselor_and_date_filters(
    login, counselor, colleague, kochi_city, tags
) -> None:
    a = CaseFactory(
        person=PersonFactory(municipality=kochi_city),
        intake_date=dt.date(2024, 5, 1),
        age_band_at_intake="50s",
        assigned_counselor=counselor,
    )
    a.issue_tags.add(tags["8050"])
    b = CaseFactory(
        person=PersonFactory(municipality=kochi_city),
        intake_date=dt.date(2025, 5, 1),
        age_band_at_intake="20s",
        assigned_counselor=colleague,
    )
    client = login(counselor)
    assert numbers(client.get(LIST, {"issue_tags": tags["8050"].pk})) == [a.number]
    assert numbers(client.get(LIST, {"age_band": "20s"})) == [b.number]
    assert numbers(client.get(LIST, {"counselor": colleague.pk})) == [b.number]
    assert numbers(client.get(LIST, {"intake_from": "2025-01-01"})) == [b.number]
    assert numbers(client.get(LIST, {"intake_to": "2024-12-31"})) == [a.number]


def test_columns_sort_both_ways_and_keep_the_filters_in_the_url(
    login, counselor, kochi_city
) -> None:
    old = CaseFactory(person=PersonFactory(municipality=kochi_city), intake_date=days_ago(90))
    new = CaseFactory(person=PersonFactory(municipality=kochi_city), intake_date=days_ago(5))
    client = login(counselor)
    assert numbers(client.get(LIST)) == [new.number, old.number]
    response = client.get(LIST, {"o": "intake_date", "status": "open"})
    assert numbers(response) == [old.number, new.number]
    link = response.context["sort"]["intake_date"]
    assert link["aria_sort"] == "ascending"
    assert "o=-intake_date" in link["url"] and "status=open" in link["url"]
    assert numbers(client.get(LIST, {"o": "-intake_date"})) == [new.number, old.number]


def test_pagination_keeps_the_filter_state(login, counselor, many_cases) -> None:
    response = login(counselor).get(LIST, {"status": "open", "page": 1})
    body = response.content.decode()
    assert "status=open&amp;page=2" in body
    assert response.context["page"].paginator.num_pages == 2


def test_list_writes_one_list_audit_row_with_filters_and_no_names(
    login, counselor, case, tags
) -> None:
    login(counselor).get(LIST, {"q": "山田", "status": "open", "issue_tags": tags["8050"].pk})
    row = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert row.filters == {"q": "***", "status": "open", "issue_tags": [tags["8050"].pk]}
    assert row.row_count == 0
    assert "山田" not in str(row.filters)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count() == 0
