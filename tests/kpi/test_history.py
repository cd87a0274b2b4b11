"""What counts is decided when it happens: a later change of a kind's flags or of a
resource's kind rewrites no past or closed year; places and platforms are counted as of the
year from their history; years without data are unknown, not zero."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from audit.models import AuditEvent
from core.fiscal import current_fiscal_year, fiscal_year_range
from kpi.scopes import prefecture_scope
from kpi.services import year_close
from platforms.models import Platform
from platforms.services import platform_update
from referrals import services
from referrals.models import Referral, ResourceKind
from tests.factories import ReferralFactory, ResourceFactory, ResourceKindFactory
from tests.kpi.helpers import case_in, muni, report, value

pytestmark = pytest.mark.django_db

K3 = "ibasho_links"
CURRENT = current_fiscal_year()
START = fiscal_year_range(CURRENT)[0]
EFFECTIVE = START + dt.timedelta(days=30)  # the tests run after it (the FY's first month)


def connect(resource, on: dt.date) -> Referral:
    case = case_in(intake=dt.date(2022, 4, 1))
    return ReferralFactory(case=case, resource=resource, status="connected", connected_on=on)


@pytest.fixture
def place(kochi):
    """An ibasho with links in FY2023 (closed), FY2024 (past), and this year before and after
    EFFECTIVE."""
    resource = ResourceFactory(kind=ResourceKindFactory())
    for day in (dt.date(2023, 7, 1), dt.date(2024, 7, 1), START, EFFECTIVE):
        connect(resource, day)
    return resource


def k3_by_year() -> dict[int, int]:
    return {year: value(K3, year) for year in (2023, 2024, CURRENT)}


def test_flipping_a_kind_leaves_past_years_and_the_time_before_the_effective_date(
    place, admin_user, center
) -> None:
    year_close(fiscal_year=2023, scope=prefecture_scope("39"), user=center)
    assert k3_by_year() == {2023: 1, 2024: 1, CURRENT: 2}
    services.kind_settings_change(
        kind=place.kind, counts_as_ibasho=False, is_work_training=False,
        effective_from=EFFECTIVE, reason="居場所等から外す", user=admin_user,
    )  # fmt: skip
    assert k3_by_year() == {2023: 1, 2024: 1, CURRENT: 1}
    closed = report(2023)
    assert closed.closing is not None and not closed.closing.differs
    # New connections follow the new setting; the kind shows today's flags.
    assert not ResourceKind.objects.get(pk=place.kind_id).counts_as_ibasho
    event = AuditEvent.objects.get(object_type="referrals.resourcekind")
    assert (event.reason, event.row_count) == ("居場所等から外す", 1)
    assert event.filters == {"effective_from": EFFECTIVE.isoformat()}


def test_moving_a_resource_to_another_kind_keeps_its_earlier_links(place, admin_user) -> None:
    medical = ResourceKindFactory(code="medical", name_ja="医療機関", counts_as_ibasho=False)
    services.resource_kind_change(
        resource=place, kind=medical, effective_from=EFFECTIVE, reason="医療機関に変更",
        user=admin_user,
    )  # fmt: skip
    assert k3_by_year() == {2023: 1, 2024: 1, CURRENT: 1}
    place.refresh_from_db()
    assert place.kind == medical
    # A new connection to the moved resource counts by its new kind.
    later = services.referral_propose(
        case=case_in(intake=START), resource=place, proposed_on=START, user=admin_user
    )
    services.referral_connect(referral=later, on=EFFECTIVE, version=1, user=admin_user)
    later.refresh_from_db()
    assert not later.counted_as_ibasho


def test_a_flag_changed_behind_the_services_back_changes_no_figure(place) -> None:
    before = k3_by_year()
    ResourceKind.objects.filter(pk=place.kind_id).update(counts_as_ibasho=False)
    assert k3_by_year() == before


def test_the_preview_lists_the_figures_the_change_would_move(place) -> None:
    change = services.kind_settings_preview(
        kind=place.kind, counts_as_ibasho=False, is_work_training=False, effective_from=START
    )
    [figure] = [f for f in change.figures if f.label == "居場所等の支援につながった件数"]
    assert (figure.fiscal_year, figure.municipality, figure.removed, figure.added) == (
        CURRENT,
        "高知市",
        2,
        0,
    )
    assert figure.difference == -2
    assert k3_by_year()[CURRENT] == 2  # nothing saved


def test_a_change_cannot_reach_back_into_a_past_year(place, admin_user) -> None:
    with pytest.raises(ValidationError) as error:
        services.kind_settings_change(
            kind=place.kind, counts_as_ibasho=False, is_work_training=False,
            effective_from=START - dt.timedelta(days=1), reason="x", user=admin_user,
        )  # fmt: skip
    assert "今年度の初日" in error.value.message_dict["effective_from"][0]
    assert k3_by_year() == {2023: 1, 2024: 1, CURRENT: 2}


def test_the_admin_previews_then_saves(login, admin_user, place) -> None:
    client = login(admin_user)
    url = f"/kinds/{place.kind_id}/settings/"
    data = {"effective_from": START.isoformat(), "reason": "見直し"}
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200 and "保存すると変わる数値" in html and "-2" in html
    assert ResourceKind.objects.get(pk=place.kind_id).counts_as_ibasho  # not saved yet
    response = client.post(url, {**data, "confirm": "1"})
    assert response.status_code == 302
    assert k3_by_year()[CURRENT] == 0


def test_counselors_cannot_change_the_configuration(login, counselor, place) -> None:
    response = login(counselor).get(f"/kinds/{place.kind_id}/settings/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="denied", user=counselor).exists()


# --- unknown is not zero ---------------------------------------------------------------------


def test_years_before_the_first_record_read_no_data(kochi, login, prefecture_staff) -> None:
    case_in(intake=dt.date(2022, 5, 1))
    result = report(2023)
    known = {row.fiscal_year: row.known for row in result.comparison}
    assert known == {2020: False, 2021: False, 2022: True, 2023: True}
    row_2020 = result.comparison[0]
    assert all(cell.value is None for cell in row_2020.rows())
    html = login(prefecture_staff).get("/kpi/", {"fy": "2023"}).content.decode()
    assert "データなし" in html
    # A year before the records: the cards and the JSON say so.
    out = StringIO()
    call_command("kpi_report", "--fy", "2020", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["no_data"] is True
    assert all(i["value"] is None and i["no_data"] for i in data["indicators"])


def test_a_year_without_data_shows_its_baseline(kochi) -> None:
    """The migration's R1 baseline (10 municipalities with case meetings) stands for FY2019."""
    case_in(intake=dt.date(2021, 5, 1))
    row = next(y for y in report(2022).comparison if y.fiscal_year == 2019)
    cell = next(c for c in row.rows() if c.key == "municipalities_with_case_meetings")
    assert cell.value is None and cell.baseline is not None and cell.baseline.value == 10


# --- places and platforms as of the year -----------------------------------------------------


def test_sites_are_counted_per_year_from_their_history(kochi, admin_user) -> None:
    case_in(intake=dt.date(2021, 5, 1))
    training = ResourceKindFactory(
        code="work_training", name_ja="就労訓練", counts_as_ibasho=False, is_work_training=True
    )
    ResourceFactory(kind=training, opened_on=dt.date(2020, 4, 1))
    ResourceFactory(kind=training, opened_on=dt.date(2022, 6, 1))
    ResourceFactory(
        kind=training, opened_on=dt.date(2020, 4, 1), closed_on=dt.date(2023, 4, 1), active=False
    )
    ResourceFactory(kind=training, opened_on=None, active=False)  # inactive, no date: never

    def sites(year: int) -> int:
        return report(year).secondary.work_training_active

    assert {year: sites(year) for year in (2021, 2022, 2023)} == {2021: 2, 2022: 3, 2023: 2}


def test_a_dissolved_platform_counts_in_the_years_it_was_established(center, kochi) -> None:
    case_in(intake=dt.date(2021, 5, 1))
    city = muni("392014")
    platform = platform_update(
        user=center, municipality=city, version=0, status=Platform.Status.ESTABLISHED,
        established_on=dt.date(2021, 6, 1),
    )  # fmt: skip
    platform_update(
        user=center, municipality=city, version=platform.version, status=Platform.Status.NONE,
        established_on=None,
    )  # fmt: skip
    platform.refresh_from_db()
    assert platform.established_on == dt.date(2021, 6, 1) and platform.dissolved_on is not None
    assert report(2022).secondary.platforms == 1
    assert report(CURRENT).secondary.platforms == 0


def test_the_dashboard_of_a_year_without_data_shows_no_breakdown(login, prefecture_staff) -> None:
    case_in(intake=dt.date(2022, 5, 1))
    html = login(prefecture_staff).get("/kpi/", {"fy": "2020"}).content.decode()
    assert "このシステムに記録がありません" in html
    assert html.count("データなし") >= 4
    assert "市町村別の状況" not in html and "その他の指標" not in html
