import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.fiscal import current_fiscal_year, fiscal_year_label
from core.models import Jurisdiction, Municipality
from platforms.models import CaseMeeting, Platform
from platforms.selectors import municipality_overview
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    MunicipalStatusFactory,
    PersonFactory,
    PlatformFactory,
)

pytestmark = pytest.mark.django_db
OVERVIEW = reverse("platforms:overview")


def _rows(response):
    return {row.code: row for row in response.context["rows"]}


@pytest.mark.parametrize("who", ["prefecture_staff", "center", "admin_user"])
def test_overview_opens_for_prefecture_roles(request, login, who):
    response = login(request.getfixturevalue(who)).get(OVERVIEW)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 34


@pytest.mark.parametrize("who", ["counselor", "aki_counselor"])
def test_overview_is_refused_to_counselors(request, login, who):
    assert login(request.getfixturevalue(who)).get(OVERVIEW).status_code == 403


def test_overview_defaults_to_the_current_fiscal_year(login, prefecture_staff):
    response = login(prefecture_staff).get(OVERVIEW)
    fy = current_fiscal_year()
    assert response.context["fy"] == fy
    assert fiscal_year_label(fy) in response.content.decode()


def test_overview_counts_meetings_per_fiscal_year_at_the_march_april_boundary(
    login, prefecture_staff, kochi_city, muroto
):
    CaseMeetingFactory(municipality=kochi_city, held_on=dt.date(2024, 3, 31))
    CaseMeetingFactory(
        municipality=muroto,
        held_on=dt.date(2024, 4, 1),
        supervision=CaseMeeting.Supervision.HEALTH_OFFICE,
    )
    client = login(prefecture_staff)

    fy2023 = _rows(client.get(OVERVIEW, {"fy": 2023}))
    assert (fy2023["392014"].meeting_count, fy2023["392014"].last_meeting_on) == (
        1,
        dt.date(2024, 3, 31),
    )
    assert fy2023["392022"].meeting_count == 0
    assert fy2023["392022"].no_meeting

    response = client.get(OVERVIEW, {"fy": 2024})
    fy2024 = _rows(response)
    assert fy2024["392014"].meeting_count == 0
    assert fy2024["392022"].meeting_count == 1
    assert fy2024["392022"].supervised_count == 1
    assert fy2024["392022"].last_meeting_on == dt.date(2024, 4, 1)
    summary = response.context["summary"]
    assert (summary.with_meetings, summary.with_supervised_meetings, summary.total) == (1, 1, 34)


def test_overview_counts_status_and_platform_of_the_selected_year(
    prefecture_staff, kochi_city, muroto
):
    MunicipalStatusFactory(
        municipality=kochi_city, fiscal_year=2023, needs_assessed_on=dt.date(2024, 3, 31)
    )
    MunicipalStatusFactory(
        municipality=muroto, fiscal_year=2024, needs_assessed_on=dt.date(2024, 4, 1), jusoteki=True
    )
    PlatformFactory(municipality=kochi_city, established_on=dt.date(2024, 3, 31))
    PlatformFactory(municipality=muroto, established_on=dt.date(2024, 4, 1))
    fy2023 = {r.code: r for r in municipality_overview(prefecture_staff, fy=2023)}
    fy2024 = {r.code: r for r in municipality_overview(prefecture_staff, fy=2024)}
    assert fy2023["392014"].needs_assessed_on == dt.date(2024, 3, 31)
    assert fy2023["392022"].needs_assessed_on is None
    assert fy2024["392022"].jusoteki is True
    assert fy2024["392014"].needs_assessed_on is None
    assert fy2023["392014"].platform_established_in_fy
    assert not fy2023["392022"].platform_established_in_fy
    assert fy2023["392022"].platform_established_later
    assert fy2024["392022"].platform_established_in_fy


def test_municipalities_without_a_meeting_are_marked_and_listed_first(
    login, prefecture_staff, kochi_city
):
    CaseMeetingFactory(municipality=kochi_city, held_on=dt.date(2024, 6, 1))
    response = login(prefecture_staff).get(OVERVIEW, {"fy": 2024})
    rows = response.context["rows"]
    assert rows[-1].code == "392014"
    assert all(row.no_meeting for row in rows[:-1])
    body = response.content.decode()
    assert body.count('class="row--alert"') == 33
    assert body.count("会議未実施</span>") == 33
    by_code = login(prefecture_staff).get(OVERVIEW, {"fy": 2024, "sort": "code"})
    assert by_code.context["rows"][0].code == "392014"


def test_overview_shows_counts_only_never_case_numbers_names_or_minutes(
    login, prefecture_staff, center, kochi_city
):
    case = CaseFactory(person=PersonFactory(name="山田 花子"))
    meeting = CaseMeetingFactory(
        held_on=dt.date(2024, 6, 1), minutes="（秘）母親の体調", decisions="訪問を続ける"
    )
    meeting.cases.set([case])
    for user in (prefecture_staff, center):
        body = login(user).get(OVERVIEW, {"fy": 2024}).content.decode()
        for secret in (case.number, "山田", "母親の体調", "訪問を続ける"):
            assert secret not in body
    detail = login(prefecture_staff).get(
        reverse("platforms:municipality_detail", args=[kochi_city.code])
    )
    for secret in (case.number, "山田", "母親の体調", "訪問を続ける"):
        assert secret not in detail.content.decode()


def test_overview_filters_by_jurisdiction(login, prefecture_staff):
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    response = login(prefecture_staff).get(OVERVIEW, {"jurisdiction": aki.pk})
    codes = {row.code for row in response.context["rows"]}
    assert codes == set(
        Municipality.objects.filter(jurisdiction=aki).values_list("code", flat=True)
    )
    assert "392022" in codes


def test_overview_is_audited_as_a_list(login, prefecture_staff):
    login(prefecture_staff).get(OVERVIEW, {"fy": 2023})
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert event.filters == {"fy": 2023, "jurisdiction": None}
    assert event.row_count == 34


@pytest.mark.parametrize("meetings", [5, 50])
def test_overview_query_count_does_not_depend_on_the_number_of_meetings(
    login, prefecture_staff, django_assert_num_queries, meetings
):
    codes = list(Municipality.objects.values_list("pk", flat=True)[:10])
    for i in range(meetings):
        CaseMeetingFactory(
            municipality_id=codes[i % len(codes)],
            held_on=dt.date(2024, 4, 1) + dt.timedelta(days=i),
            supervision=CaseMeeting.Supervision.CENTER if i % 2 else CaseMeeting.Supervision.NONE,
        )
    for pk in codes:
        PlatformFactory(municipality_id=pk, status=Platform.Status.ESTABLISHED)
        MunicipalStatusFactory(municipality_id=pk, fiscal_year=2024)
    client = login(prefecture_staff)
    # session, user, rows, audit insert, jurisdiction choices; session save (3)
    with django_assert_num_queries(8):
        response = client.get(OVERVIEW, {"fy": 2024})
    assert sum(row.meeting_count for row in response.context["rows"]) == meetings
