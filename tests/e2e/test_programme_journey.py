"""A 民生委員's report in the browser: into the register → an outreach visit → a case opened
from the entry → the dashboard's 「実態把握から相談につながった人数」 moves by one."""

import pytest
from playwright.sync_api import Page, expect

from programme.models import OutreachAttempt, SurveyEntry
from tests.e2e.test_accessibility import serious_violations
from tests.factories import PlaceSupportFactory, SupervisionRequestFactory, SurveyEntryFactory


def survey_to_case(page: Page, url) -> int:
    page.goto(url("kpi:dashboard"))
    cell = page.locator('[data-figure="survey_to_case"]')
    return int(cell.inner_text().split()[0].replace(",", ""))


def test_report_outreach_case_and_the_dashboard_figure(browser_login, url, counselor) -> None:
    page = browser_login(counselor)
    before = survey_to_case(page, url)

    page.get_by_role("navigation").get_by_role("link", name="実態把握").click()
    page.get_by_role("link", name="名簿に登録").click()
    page.select_option("#id_reporter", "minsei")
    page.fill("#id_reporter_note", "旭地区の民生委員")
    page.select_option("#id_age_band", "40s")
    page.select_option("#id_withdrawal_duration", "10y+")
    page.select_option("#id_household", "elderly_parents")
    page.fill("#id_notes", "日中は自室にいる。母親が80代。")
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_role("status")).to_contain_text("実態把握名簿に登録しました。")

    page.get_by_label("訪問", exact=True).check()
    page.get_by_label("家族のみ").check()
    page.get_by_label("2人で訪問").check()
    page.fill("#id_companion", "地区の民生委員")
    page.get_by_role("button", name="記録する").click()
    expect(page.locator("body")).to_contain_text("アウトリーチを記録しました。")
    expect(page.locator(".timeline")).to_contain_text("家族のみ")

    page.get_by_role("link", name="この名簿から相談ケースを作成").click()
    expect(page.locator("#id_intake_route")).to_have_value("minsei")
    expect(page.locator("#id_notes")).to_have_value("日中は自室にいる。母親が80代。")
    page.get_by_role("button", name="相談ケースを作成").click()
    expect(page.locator("body")).to_contain_text("名簿から相談ケース")
    entry = SurveyEntry.objects.get()
    assert entry.case is not None
    assert page.url.endswith(entry.case.get_absolute_url())

    assert survey_to_case(page, url) == before + 1


@pytest.mark.parametrize(
    "page_name",
    [
        "programme:entry_list",
        "programme:entry_detail",
        "programme:entry_open_case",
        "programme:supervision_list",
        "programme:supervision_detail",
        "programme:training_list",
        "programme:publicity_list",
        "programme:support_list",
    ],
)
def test_programme_pages_have_no_serious_axe_violations(
    page_name: str, browser_login, url, counselor
) -> None:
    entry = SurveyEntryFactory(notes="夜間のみ外出")
    OutreachAttempt.objects.create(
        entry=entry, date=entry.reported_on, method="visit", outcome="family_only"
    )
    item = SupervisionRequestFactory()
    PlaceSupportFactory()
    page = browser_login(counselor)
    args = {
        "programme:entry_detail": (entry.pk,),
        "programme:entry_open_case": (entry.pk,),
        "programme:supervision_detail": (item.pk,),
    }.get(page_name, ())
    response = page.goto(url(page_name, *args))
    assert response is not None and response.status == 200
    assert serious_violations(page) == []
