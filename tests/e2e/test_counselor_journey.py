"""A 高知市 counselor's day in the browser: intake with the duplicate warning, a home visit,
a referral to an ibasho marked connected, and the K3 figure going up; 室戸市 gets a 404."""

import re

from playwright.sync_api import Page, expect

from cases.models import Case
from core.fiscal import current_fiscal_year
from tests.factories import PersonFactory


def k3_value(page: Page) -> int:
    card = page.locator("article.kpi-card", has=page.locator("#card-ibasho_links"))
    return int(card.locator(".stat").inner_text().replace(",", ""))


def test_counselor_intake_visit_referral_moves_ibasho_figure_and_outsider_gets_404(
    browser_login, url, counselor, outsider, kochi_city, ibasho
) -> None:
    PersonFactory(municipality=kochi_city, name="", kana="やまもと さくら", birth_year=1992)
    page = browser_login(counselor)
    fy = current_fiscal_year()
    page.goto(url("kpi:dashboard", query=f"fy={fy}"))
    before = k3_value(page)

    # Intake: a family-only consultation (no name), same kana + birth year as someone known.
    page.goto(url("cases:intake"))
    page.select_option("#id_intake_route", index=1)
    page.get_by_label("家族", exact=True).first.check()
    page.fill("#id_kana", "やまもと さくら")
    page.fill("#id_birth_year", "1992")
    page.fill("#id_notes", "母親から電話。本人は昼夜逆転。")
    page.get_by_role("button", name="登録する").click()

    # The duplicate warning is shown; the counselor says it is someone else.
    expect(page.get_by_role("heading", name="同じ本人が登録されていませんか？")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("やまもと さくら")
    page.get_by_label("別の人です。新しい本人として登録する").check()
    page.get_by_role("button", name="この内容で登録する").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(person__kana="やまもと さくら", person__name="")
    assert case.visitor == Case.Visitor.FAMILY
    case_url = page.url

    # A home visit, recorded on the case page.
    record = page.locator("#record")
    record.get_by_label("訪問（アウトリーチ）").check()
    record.get_by_label("本人", exact=True).check()  # 相手 is always chosen, never carried over
    record.locator("#id_duration_minutes").fill("60")
    record.locator("#id_notes").fill("自宅を訪問。本人とドア越しに挨拶できた。")
    record.get_by_role("button", name="記録する").click()
    expect(page.locator("#timeline")).to_contain_text("自宅を訪問。本人とドア越しに挨拶できた。")
    assert case.consultations.filter(method="home_visit").count() == 1

    # Refer to an ibasho, from the case page's link, and mark it connected.
    page.get_by_role("link", name="つなぎ・就労").click()
    page.get_by_role("link", name="つなぎを登録する").click()
    option = page.locator("#id_resource option", has_text=ibasho.name)
    page.select_option("#id_resource", value=option.get_attribute("value"))
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("button", name="つながったを記録").click()
    expect(page.locator("main")).to_contain_text("に数える")

    page.goto(url("kpi:dashboard", query=f"fy={fy}"))
    assert k3_value(page) == before + 1

    # Another municipality's counselor pastes the URL: the not-found page, nothing of the case.
    page = browser_login(outsider)
    response = page.goto(case_url)
    assert response is not None and response.status == 404
    body = page.locator("body").inner_text()
    assert case.number not in body
    assert "やまもと" not in body and "自宅を訪問" not in body
