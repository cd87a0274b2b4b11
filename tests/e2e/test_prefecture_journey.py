"""Prefecture staff in the browser: the dashboard, FY2021, the municipality overview, and the
KPI workbook whose figures must equal the page's."""

import datetime as dt

import openpyxl
from playwright.sync_api import Page, expect

from core.models import Municipality
from kpi.models import Indicator
from tests.factories import CaseFactory, CaseMeetingFactory, ConsultationFactory


def card_values(page: Page) -> dict[str, int]:
    values = {}
    for key in Indicator.values:
        card = page.locator("article.kpi-card", has=page.locator(f"#card-{key}"))
        values[key] = int(card.locator(".stat").inner_text().replace(",", ""))
    return values


def fy2021_data(kochi_city: Municipality, muroto: Municipality) -> None:
    for day in (dt.date(2021, 5, 10), dt.date(2021, 9, 1), dt.date(2022, 2, 14)):
        ConsultationFactory(case=CaseFactory(person__municipality=kochi_city, intake_date=day))
    ConsultationFactory(case=CaseFactory(person__municipality=muroto, intake_date=day))
    CaseMeetingFactory(municipality=kochi_city, held_on=dt.date(2021, 8, 3))
    CaseMeetingFactory(municipality=kochi_city, held_on=dt.date(2021, 11, 3))


def test_prefecture_staff_fy2021_dashboard_overview_and_workbook_with_the_same_figures(
    browser_login, url, prefecture_staff, kochi_city, muroto, tmp_path
) -> None:
    fy2021_data(kochi_city, muroto)
    page = browser_login(prefecture_staff)
    page.get_by_role("navigation").get_by_role("link", name="KPI", exact=False).first.click()
    page.wait_for_url("**/kpi/**")
    page.select_option("#id_fy", "2021")
    page.get_by_role("button", name="表示").click()
    expect(page.locator(".page-header__meta")).to_contain_text("2021年度")
    figures = card_values(page)
    assert figures["new_consultations"] == 4
    assert figures["municipalities_with_case_meetings"] == 1

    page.goto(url("platforms:overview"))
    page.select_option("#id_fy", "2021")
    page.get_by_role("button", name="表示").click()
    expect(page.locator(".page-header__meta")).to_contain_text("2021年度")
    row = page.locator("tr", has=page.get_by_role("rowheader", name="高知市"))
    expect(row.locator("td.num").first).to_have_text("2")
    kochi_meetings = row.locator("td.num").first.inner_text()
    expect(page.locator("tr", has=page.get_by_role("rowheader", name="室戸市"))).to_contain_text(
        "会議未実施"
    )
    # Aggregates only: no case number or name anywhere on either page.
    assert "高知 太郎" not in page.locator("body").inner_text()

    # Back to the FY2021 dashboard: download its KPI workbook; its figures equal the pages'.
    page.go_back()
    page.go_back()
    expect(page.locator(".page-header__meta")).to_contain_text("2021年度")
    assert card_values(page) == figures
    with page.expect_download() as info:
        page.get_by_role("link", name="Excelで出力", exact=True).click()
    path = tmp_path / "kpi.xlsx"
    info.value.save_as(path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    in_summary = {
        str(row[0]): row[1]
        for row in workbook["概要"].iter_rows(values_only=True)
        if len(row) > 1 and row[0] is not None
    }
    for key, label in Indicator.choices:
        assert in_summary[str(label)] == figures[key], label
    by_municipality = {
        row[1]: row for row in workbook["市町村別"].iter_rows(values_only=True) if len(row) > 4
    }
    assert by_municipality["高知市"][4] == int(kochi_meetings)
    assert by_municipality["室戸市"][3] == "未実施"
