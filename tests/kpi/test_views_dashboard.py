"""The dashboard at /kpi/: who sees which scope, what it shows, and its query count."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.fiscal import current_fiscal_year
from core.models import Jurisdiction
from tests.factories import CaseMeetingFactory, ConsultationFactory
from tests.kpi.helpers import case_in, employment, link

URL = reverse("kpi:dashboard")
CODES = ["392014", "392022", "392031", "392049", "392057"]

pytestmark = pytest.mark.django_db


def make_records(n: int, fy: int = 2023) -> None:
    """n cases spread over five municipalities, each with a contact, a link, a job, meetings."""
    for i in range(n):
        code = CODES[i % len(CODES)]
        case = case_in(code, intake=dt.date(fy, 4 + i % 9, 1 + i % 28))
        ConsultationFactory(case=case, date=case.intake_date)
        link(case=case, connected=case.intake_date)
        employment(case, case.intake_date)
        CaseMeetingFactory(municipality=case.municipality, held_on=case.intake_date)


def options(response, name: str) -> list[str]:
    field = response.context["form"][name]
    return [str(value) for group in field.field.choices for value, _label in group[1]]


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("who", ["prefecture_staff", "center", "admin_user"])
def test_prefecture_roles_see_the_prefecture_by_default(request, login, who) -> None:
    response = login(request.getfixturevalue(who)).get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.scope.kind == "prefecture"
    assert report.fiscal_year == current_fiscal_year()
    assert len(report.municipalities) == 34
    assert "pref" in options(response, "scope")
    assert "392022" in options(response, "scope")


def test_counselor_sees_only_their_own_scope(login, counselor) -> None:
    response = login(counselor).get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.scope.kind == "jurisdiction"  # 高知市保健所: 高知市 only
    assert [row.code for row in report.municipalities] == ["392014"]
    assert "pref" not in options(response, "scope")
    assert set(options(response, "scope")) == {"392014", str(report.scope.jurisdiction.pk)}


def test_a_jurisdiction_seen_in_part_is_not_a_scope(login, outsider) -> None:
    """室戸市's counselor sees one of 安芸福祉保健所's nine municipalities: the municipality is
    a scope, the jurisdiction is not (its figures would include the other eight)."""
    response = login(outsider).get(URL)
    assert options(response, "scope") == ["392022"]
    assert response.context["report"].scope.kind == "municipality"


def test_jurisdiction_counselor_sees_the_jurisdiction(login, aki_counselor) -> None:
    response = login(aki_counselor).get(URL)
    assert response.context["report"].scope.jurisdiction.name_ja == "安芸福祉保健所"
    assert len(response.context["report"].municipalities) == 9
    assert login(aki_counselor).get(URL, {"scope": "392022"}).status_code == 200


@pytest.mark.parametrize("scope", ["392022", "pref", "1", "abc"])
def test_counselor_asking_for_another_scope_gets_404(login, counselor, scope) -> None:
    if scope == "1":
        scope = str(Jurisdiction.objects.get(name_ja="安芸福祉保健所").pk)
    response = login(counselor).get(URL, {"scope": scope})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="kpi.scope").count() == 1


def test_outsider_cannot_see_kochi_city(login, outsider) -> None:
    assert login(outsider).get(URL, {"scope": "392014"}).status_code == 404


def test_prefecture_staff_can_open_a_municipality(login, prefecture_staff) -> None:
    make_records(5)
    response = login(prefecture_staff).get(URL, {"fy": "2023", "scope": "392022"})
    assert response.status_code == 200
    assert response.context["report"].indicator("new_consultations").value == 1


def test_empty_selectors_fall_back_to_the_defaults(login, counselor) -> None:
    response = login(counselor).get(URL, {"fy": "", "scope": "", "as_of": ""})
    assert response.status_code == 200
    assert response.context["report"].fiscal_year == current_fiscal_year()
    assert response.context["report"].scope.kind == "jurisdiction"


def test_unknown_fiscal_year_is_404(login, prefecture_staff) -> None:
    assert login(prefecture_staff).get(URL, {"fy": "1999"}).status_code == 404
    assert login(prefecture_staff).get(URL, {"fy": "x"}).status_code == 404


def test_as_of_before_the_year_shows_an_error_next_to_the_field(login, prefecture_staff) -> None:
    response = login(prefecture_staff).get(URL, {"fy": "2023", "as_of": "2023-03-31"})
    assert response.status_code == 200
    assert "基準日は選んだ年度の初日以降" in response.content.decode()
    assert response.context["report"].as_of == dt.date(2024, 3, 31)


def test_dashboard_shows_cards_rule_charts_and_tables(login, prefecture_staff) -> None:
    make_records(10)
    response = login(prefecture_staff).get(URL, {"fy": "2023", "as_of": "2023-12-31"})
    html = response.content.decode()
    assert "令和5年度（2023年度）" in html
    for label in ("新規相談件数", "ケース会議を実施した市町村数", "居場所等の支援につながった件数"):
        assert label in html
    assert "中間的就労等を経て就労した人数" in html
    assert "判定の基準" in html and "要注意" in html
    assert html.count('role="img"') == 4
    assert html.count("<progress") == 4
    assert 'aria-labelledby="chart-new_consultations-svgtitle chart-new_consultations-desc"' in html
    assert html.count("<summary>数値を表で見る</summary>") == 4
    assert "過去3年度との比較" in html
    assert "未実施" in html
    assert "実態把握調査で把握した人数" in html


def test_fy_options_are_labelled_with_era_and_year(login, prefecture_staff) -> None:
    html = login(prefecture_staff).get(URL).content.decode()
    assert '<option value="2021">令和3年度（2021年度）</option>' in html
    assert '<option value="2019">令和元年度（2019年度）</option>' in html


def test_no_personal_data_and_no_inline_styles(login, center) -> None:
    make_records(10)
    case = case_in("392014", intake=dt.date(2023, 5, 1))
    html = login(center).get(URL, {"fy": "2023"}).content.decode()
    assert case.person.name not in html
    assert case.person.kana not in html
    assert case.number not in html
    assert "母親" not in html  # consultation notes and meeting minutes
    assert "（秘）" not in html
    assert not re.search(r"\sstyle=", html)
    # No inline script, and only the app's own (the shared form enhancements).
    scripts = re.findall(r"<script[^>]*>", html)
    assert all(re.search(r'src="/static/', tag) for tag in scripts), scripts


def test_no_store(login, prefecture_staff) -> None:
    response = login(prefecture_staff).get(URL)
    assert "no-store" in response["Cache-Control"]


def test_user_without_any_scope_sees_a_notice(login, kochi) -> None:
    from tests.conftest import make_user

    lonely = make_user("lonely", "counselor")
    response = login(lonely).get(URL)
    assert response.status_code == 200
    assert "表示できる範囲がありません" in response.content.decode()


# session, user, scope options (2), the report (15: the scope's municipality ids, two reads of
# the maintained aggregates (kpi.aggregates: the scope's counters by month, which give the
# series, the past years, the meetings, the consultation counts, the end reasons and the new
# cases by route; the municipalities' counters of the year for the table and the programme's
# supported meetings), the municipalities, targets, baselines, the first year with records
# (earlier years read 「データなし」: the counters' first K1 month), the closings of the four
# years (年度確定), seven secondary figures (the places counted as of the date from the
# resources and the configuration history: resources, kinds, kind settings, resource kinds)),
# session save (3); the casework figures (2: open cases with a decided plan, the reviews'
# aggregate); the programme section (8: the register's three counts and the supervision
# requests' two are one query each).
QUERIES = 32


@pytest.mark.parametrize("n", [10, 100])
def test_query_count_does_not_depend_on_records(
    login, prefecture_staff, django_assert_num_queries, n
) -> None:
    make_records(n)
    client = login(prefecture_staff)
    with django_assert_num_queries(QUERIES):
        response = client.get(URL, {"fy": "2023"})
    assert response.context["report"].indicator("new_consultations").value == n


# The national scope (a user with a blank prefecture code): session, user, scope options (2),
# the report (14: no municipality ids (no filter), two reads of the maintained aggregates (the
# table's are the prefectures' counters), the municipalities and the platforms by
# prefecture instead of the municipality table, targets,
# baselines, the first year with records, seven secondary figures (places from their
# history, as above); no closings: the national scope is never closed), session save (3); the
# casework figures (2); the programme section (6; the end reasons, the routes and the
# supported meetings come from the counters; the register's three counts and the supervision
# requests' two are one query each).
NATIONAL_QUERIES = 29


@pytest.mark.parametrize("n", [10, 100])
def test_national_query_count_does_not_depend_on_records(
    login, national_staff, django_assert_num_queries, n
) -> None:
    from tests.kpi.helpers import other_prefecture

    other_prefecture("36")
    make_records(n)
    client = login(national_staff)
    with django_assert_num_queries(NATIONAL_QUERIES):
        response = client.get(URL, {"fy": "2023"})
    report = response.context["report"]
    assert report.scope.kind == "national"
    assert report.indicator("new_consultations").value == n
    assert [row.code for row in report.areas] == ["36", "39"]


def test_a_target_at_the_top_of_the_chart_puts_its_label_below_the_line() -> None:
    from kpi.charts import LABEL_SIZE, _label_y

    assert _label_y(100) == 95  # room above: above the line
    top = _label_y(14)
    assert top - LABEL_SIZE >= 0 and top > 14  # no room: below, inside the chart


def test_a_preparing_platform_reads_the_same_as_on_the_overview(login, prefecture_staff) -> None:
    from core.models import Municipality
    from platforms.models import Platform
    from tests.factories import PlatformFactory

    muroto = Municipality.objects.get(code="392022")
    PlatformFactory(municipality=muroto, status=Platform.Status.PREPARING, established_on=None)
    html = login(prefecture_staff).get(URL).content.decode()
    row = html[html.index('<th scope="row">室戸市</th>') :].split("</tr>")[0]
    assert "準備中" in row and "未設置" not in row
