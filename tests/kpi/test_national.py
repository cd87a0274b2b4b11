"""The national scope (`all`) and the prefectures (`pref-NN`) of users who see every prefecture:
exact figures, a table by prefecture, no targets, who may open it, the workbook and commands."""

import datetime as dt
import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from audit.models import AuditEvent
from kpi.scopes import ScopeNotFound, national_scope, scope_from_token, scopes_for_user
from kpi.selectors import AreaKind, consultation_figures, kpi_report
from kpi.workbook import SHEET_MUNICIPALITIES, SHEET_PREFECTURES, SHEET_SUMMARY, kpi_workbook
from tests.conftest import make_user
from tests.factories import (
    CaseMeetingFactory,
    ConsultationFactory,
    PersonFactory,
    PlatformFactory,
    ResourceFactory,
)
from tests.kpi.helpers import case_in, employment, link, muni, other_prefecture, report

pytestmark = pytest.mark.django_db

URL = reverse("kpi:dashboard")
WORKBOOK = reverse("kpi:workbook")
AS_OF = dt.date(2023, 12, 31)
K1, K2, K3, K4 = (
    "new_consultations",
    "municipalities_with_case_meetings",
    "ibasho_links",
    "employed_after_intermediate",
)


@pytest.fixture
def tokushima(kochi) -> list[str]:
    """Three municipalities of Tokushima (36); returns their codes."""
    return [m.code for m in other_prefecture("36")]


@pytest.fixture
def data(tokushima) -> dict[str, str]:
    """Records in both prefectures, and one person employed in both (they moved)."""
    toku = tokushima[0]
    for code, n in (("392014", 6), ("392022", 1), (toku, 2), (tokushima[1], 3)):
        for i in range(n):
            case = case_in(code, intake=dt.date(2023, 5 + i % 6, 1 + i))
            ConsultationFactory(case=case, date=case.intake_date)
            if i % 2 == 0:
                link(case=case, connected=case.intake_date)
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 6, 1))
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 9, 1))
    CaseMeetingFactory(municipality=muni(toku), held_on=dt.date(2023, 5, 20))
    CaseMeetingFactory(municipality=muni(toku), held_on=dt.date(2024, 2, 1))  # after as_of
    mover = PersonFactory(municipality=muni("392014"))
    first = case_in("392014", intake=dt.date(2022, 4, 1), person=mover)
    second = case_in(toku, intake=dt.date(2022, 10, 1), person=mover)
    employment(first, dt.date(2023, 6, 1))
    employment(second, dt.date(2023, 11, 1))
    employment(code=tokushima[1], started=dt.date(2023, 8, 1))
    PlatformFactory(municipality=muni(toku), established_on=dt.date(2022, 1, 1))
    PlatformFactory(municipality=muni("392014"), established_on=dt.date(2022, 1, 1))
    return {"toku": toku}


# --- figures ---------------------------------------------------------------------------------


def test_national_values_add_up_prefectures_and_count_distinct_once(data) -> None:
    national = report(2023, "all", AS_OF)
    kochi = report(2023, "pref-39", AS_OF)
    tokushima = report(2023, "pref-36", AS_OF)
    assert national.scope.kind == "national"
    for key in (K1, K3):
        assert national.indicator(key).value == (
            kochi.indicator(key).value + tokushima.indicator(key).value
        )
    assert national.indicator(K1).value == 12
    # K2: 高知市 and the first Tokushima municipality (its February meeting is after as_of).
    assert national.indicator(K2).value == 2
    assert national.indicator(K2).total == 34 + 3
    # K4: the mover counts in each prefecture, once nationally.
    assert kochi.indicator(K4).value == 1
    assert tokushima.indicator(K4).value == 2
    assert national.indicator(K4).value == 2
    monthly = national.indicator(K4).monthly
    assert sum(p.added or 0 for p in monthly) == 2


def test_national_table_has_one_row_per_prefecture(data) -> None:
    national = report(2023, "all", AS_OF)
    assert national.area_kind == AreaKind.PREFECTURE
    assert national.municipalities == []
    rows = {row.code: row for row in national.areas}
    assert list(rows) == ["36", "39"]
    toku, kochi = rows["36"], rows["39"]
    assert (toku.kind, toku.name, kochi.name) == ("prefecture", "徳島県", "高知県")
    assert (toku.municipalities, kochi.municipalities) == (3, 34)
    assert (toku.municipalities_with_meetings, kochi.municipalities_with_meetings) == (1, 1)
    assert (toku.meetings, kochi.meetings) == (1, 2)
    assert toku.first_meeting == dt.date(2023, 5, 20)
    assert (toku.new_consultations, kochi.new_consultations) == (5, 7)
    assert toku.ibasho_links == report(2023, "pref-36", AS_OF).indicator(K3).value
    assert (toku.employed, kochi.employed) == (2, 1)  # within each prefecture
    assert (toku.platforms, kochi.platforms) == (1, 1)
    assert national.secondary.platforms == 2
    assert sum(r.new_consultations for r in national.areas) == national.indicator(K1).value


def test_other_scopes_keep_the_table_by_municipality(data) -> None:
    kochi = report(2023, "pref", AS_OF)
    assert kochi.area_kind == AreaKind.MUNICIPALITY
    assert len(kochi.areas) == len(kochi.municipalities) == 34
    assert {row.kind for row in kochi.areas} == {"municipality"}
    assert report(2023, "pref-36", AS_OF).indicator(K2).total == 3


def test_national_scope_has_no_targets(data) -> None:
    kochi = report(2023, "pref", AS_OF)
    assert kochi.indicator(K1).target == 200  # Kochi's stored targets
    national = report(2023, "all", AS_OF)
    for ind in national.indicators:
        assert ind.target is None and ind.status is None and ind.baseline is None
    assert all(v is None for year in national.comparison for v in year.targets.values())
    # Another prefecture has no stored targets either: none are borrowed from Kochi.
    assert report(2023, "pref-36", AS_OF).indicator(K1).target is None


def test_national_resources_and_secondary_figures_count_everything(tokushima) -> None:
    ResourceFactory(prefecture_code="36", municipality=muni(tokushima[0]))
    ResourceFactory(prefecture_code="39", municipality=None)  # Kochi-wide
    ResourceFactory(prefecture_code="39")  # 高知市
    assert report(2023, "all", AS_OF).secondary.ibasho_active == 3
    assert report(2023, "pref", AS_OF).secondary.ibasho_active == 2
    assert report(2023, "pref-36", AS_OF).secondary.ibasho_active == 1


def test_national_scope_does_not_filter_at_all(kochi) -> None:
    scope = national_scope()
    assert scope.q() == scope.q("case__municipality") == scope.q("municipality")
    assert not scope.q()
    assert scope.token == "all" and scope.name == "全国"


def test_tokens(tokushima) -> None:
    assert scope_from_token("all").kind == "national"
    named = scope_from_token("pref-36")
    assert (named.kind, named.prefecture_code, named.token, named.name) == (
        "prefecture",
        "36",
        "pref-36",
        "徳島県",
    )
    assert scope_from_token("pref").token == "pref"
    for bad in ("pref-99", "pref-", "everything"):
        with pytest.raises(ScopeNotFound):
            scope_from_token(bad)


def test_consultation_counts_keep_national_and_prefecture_apart(data) -> None:
    start, end = dt.date(2023, 4, 1), AS_OF
    kochi = consultation_figures(scope_from_token("pref"), start, end)
    national = consultation_figures(national_scope(), start, end)
    tokushima = consultation_figures(scope_from_token("pref-36"), start, end)
    assert (kochi.contacts, tokushima.contacts, national.contacts) == (7, 5, 12)
    named = consultation_figures(scope_from_token("pref-39"), start, end)
    assert named.contacts == 7
    # The maintained aggregates say what a recount of the records says.
    for scope in (scope_from_token("pref"), national_scope(), scope_from_token("pref-36")):
        assert consultation_figures(scope, start, end) == consultation_figures(
            scope, start, end, recount=True
        )


# --- who may open it -------------------------------------------------------------------------


def options(response) -> list[str]:
    field = response.context["form"]["scope"]
    return [str(value) for _group, choices in field.field.choices for value, _label in choices]


@pytest.mark.parametrize("role", [User.Role.PREFECTURE, User.Role.CENTER, User.Role.ADMIN])
def test_blank_prefecture_users_see_the_nation_first(login, tokushima, role) -> None:
    user = make_user("everywhere", role, prefecture_code="")
    tokens = [s.token for s in scopes_for_user(user)]
    assert tokens[:3] == ["all", "pref-36", "pref-39"]
    assert "pref" not in tokens and "392014" in tokens and tokushima[0] in tokens
    response = login(user).get(URL, {"fy": "2023"})
    assert response.status_code == 200
    assert response.context["report"].scope.kind == "national"


def test_national_selector_groups_by_prefecture(login, national_staff, tokushima) -> None:
    response = login(national_staff).get(URL, {"fy": "2023"})
    groups = [title for title, _choices in response.context["form"]["scope"].field.choices]
    assert groups == ["全国", "都道府県", "徳島県（管轄・市町村）", "高知県（管轄・市町村）"]
    choices = dict(response.context["form"]["scope"].field.choices)
    assert [v for v, _label in choices["都道府県"]] == ["pref-36", "pref-39"]
    assert "392014" in [v for v, _label in choices["高知県（管轄・市町村）"]]


def test_national_user_opens_a_prefecture_and_a_municipality(login, national_staff, data) -> None:
    client = login(national_staff)
    response = client.get(URL, {"fy": "2023", "scope": "pref-36", "as_of": "2023-12-31"})
    assert response.status_code == 200
    assert response.context["report"].indicator(K1).value == 5
    assert len(response.context["report"].municipalities) == 3
    assert client.get(URL, {"fy": "2023", "scope": "392014"}).status_code == 200


def test_users_with_a_prefecture_code_see_no_change(login, prefecture_staff, tokushima) -> None:
    tokens = [s.token for s in scopes_for_user(prefecture_staff)]
    assert tokens[0] == "pref"
    assert "all" not in tokens and not any(t.startswith("pref-") for t in tokens)
    assert tokushima[0] not in tokens
    assert len(tokens) == 1 + 6 + 34


@pytest.mark.parametrize("who", ["prefecture_staff", "center", "admin_user", "counselor"])
@pytest.mark.parametrize("token", ["all", "pref-36", "pref-39"])
@pytest.mark.parametrize("url", [URL, WORKBOOK])
def test_kochi_users_cannot_open_the_nation_or_another_prefecture(
    request, login, tokushima, who, token, url
) -> None:
    user = request.getfixturevalue(who)
    response = login(user).get(url, {"fy": "2023", "scope": token})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action="denied", object_type="kpi.scope", object_id=token, user=user
    ).exists()


def test_kochi_staff_cannot_open_another_prefectures_municipality(
    login, prefecture_staff, tokushima
) -> None:
    assert login(prefecture_staff).get(URL, {"scope": tokushima[0]}).status_code == 404


# --- the page, the workbook and the commands -------------------------------------------------


def test_national_dashboard_page(login, national_staff, data) -> None:
    response = login(national_staff).get(URL, {"fy": "2023", "as_of": "2023-12-31"})
    html = response.content.decode()
    assert "全国" in html
    assert "都道府県別の状況" in html and "市町村別の状況" not in html
    assert "徳島県" in html and "高知県" in html
    assert "1 / 3 市町村" in html  # Tokushima: one of three municipalities met
    assert "2 / 37 市町村で実施" in html
    assert html.count("目標は未設定") == 4
    assert "<progress" not in html
    query = response.context["workbook_query"]
    assert "scope=all" in query


def test_national_workbook_has_a_sheet_by_prefecture(login, national_staff, data) -> None:
    response = login(national_staff).get(
        WORKBOOK, {"fy": "2023", "scope": "all", "as_of": "2023-12-31"}
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert SHEET_MUNICIPALITIES not in wb.sheetnames
    ws = wb[SHEET_PREFECTURES]
    assert ws.cell(3, 1).value == "都道府県コード"
    body = [r for r in ws.iter_rows(min_row=4, max_row=6, values_only=True)]
    assert body[0][:9] == ("36", "徳島県", 3, 1, 1, 5, 3, 2, 1)
    assert body[1][:9] == ("39", "高知県", 34, 1, 2, 7, 4, 1, 1)
    assert body[2][:9] == ("合計", "全国", 37, 2, 3, 12, 7, 2, 2)
    assert wb[SHEET_SUMMARY]["B5"].value == "全国"
    assert [r[3] for r in wb[SHEET_SUMMARY].iter_rows(min_row=9, max_row=12, values_only=True)] == [
        None
    ] * 4
    event = AuditEvent.objects.get(action="export", object_type="kpi.workbook")
    assert event.filters["scope"] == "all" and event.row_count == 2


def test_national_public_workbook_suppresses_the_prefecture_table(data) -> None:
    rep = report(2023, "all", AS_OF)
    buffer = io.BytesIO()
    kpi_workbook(rep, public=True, threshold=5).save(buffer)
    buffer.seek(0)
    ws = load_workbook(buffer)[SHEET_PREFECTURES]
    body = [r for r in ws.iter_rows(min_row=4, max_row=6, values_only=True)]
    toku, kochi, total = body
    # Municipality counts stay; counts of cases and people below 5 are hidden.
    assert toku[:4] == ("36", "徳島県", 3, 1)
    assert toku[5] == 5 and kochi[5] == 7 and total[5] == 12
    assert toku[4] == "<5" and kochi[4] == "<5"  # meetings: 1 and 2
    assert toku[7] == "<5" and kochi[7] == "<5"  # employed: 2 and 1
    assert toku[6] == "<5" and kochi[6] == "<5"  # ibasho links: 3 and 4
    for row in body:
        for value in row[4:8]:
            assert not (isinstance(value, int) and 0 < value < 5)


def test_kpi_report_command_national(data) -> None:
    out = StringIO()
    call_command("kpi_report", "--fy", "2023", "--scope", "all", "--as-of", "2023-12-31",
                 "--json", stdout=out)  # fmt: skip
    result = json.loads(out.getvalue())
    assert result["scope"] == {"kind": "national", "prefecture_code": "", "name": "全国"}
    by_key = {i["key"]: i for i in result["indicators"]}
    assert by_key[K1]["value"] == 12 and by_key[K1]["target"] is None
    assert (by_key[K2]["value"], by_key[K2]["total"]) == (2, 37)
    assert by_key[K4]["value"] == 2 and by_key[K4]["status"] is None


def test_export_kpi_workbook_command_national(data, tmp_path: Path) -> None:
    out = tmp_path / "national.xlsx"
    call_command("export_kpi_workbook", "--fy", "2023", "--scope", "all", "--as-of",
                 "2023-12-31", "--public", "--out", str(out), stdout=StringIO())  # fmt: skip
    wb = load_workbook(out)
    assert SHEET_PREFECTURES in wb.sheetnames
    assert wb[SHEET_PREFECTURES].cell(1, 1).value == "都道府県別の実績（公表用）"
    event = AuditEvent.objects.get(action="export", object_type="kpi.workbook")
    assert event.filters["scope"] == "all"


def test_kpi_report_over_every_scope_of_a_national_user(national_staff, data) -> None:
    """Every scope a national user is offered gives a report (no scope the views would fail on)."""
    scopes = scopes_for_user(national_staff)
    for scope in scopes[:3]:
        assert kpi_report(2023, scope, AS_OF).scope == scope


def test_national_dashboard_in_english(client, national_staff, data, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(national_staff)
    html = client.get(URL, {"fy": "2023", "as_of": "2023-12-31"}).content.decode()
    assert "All prefectures" in html and "By prefecture" in html
    assert "Tokushima Prefecture" in html and "Kochi Prefecture" in html
    assert "Tokushima Prefecture (jurisdictions and municipalities)" in html
    for japanese in ("全国", "都道府県別の状況", "徳島県", "市町村で設置済"):
        assert japanese not in html, japanese
