"""The casework cycle in the browser: intake → assessment → plan with an ibasho goal → decided
at a 支援会議 → the referral connected and linked to the goal → reviews with a stage step →
the dashboard's "persons who moved forward a stage" goes up by one."""

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case
from casework.models import Assessment, SupportPlan
from core.fiscal import current_fiscal_year
from platforms.models import CaseMeeting
from tests.factories import CaseMeetingFactory


def stage_forward(page: Page) -> int:
    cell = page.locator('td[data-figure="stage_forward"]')
    return int(re.sub(r"\D", "", cell.inner_text()))


def review(page: Page, stage: str) -> None:
    page.get_by_role("link", name="モニタリング・評価").first.click()
    page.locator("select[id^=id_result_]").first.select_option("partly")
    page.get_by_label(stage, exact=True).check()
    page.get_by_label("外出の頻度が増えた").check()
    page.get_by_role("button", name="評価を保存する").click()
    page.wait_for_url(re.compile(r"/casework/reviews/\d+/$"))


def test_casework_cycle_moves_the_stage_figure(
    browser_login, url, counselor, kochi_city, ibasho
) -> None:
    page = browser_login(counselor)
    fy = current_fiscal_year()
    page.goto(url("kpi:dashboard", query=f"fy={fy}"))
    before = stage_forward(page)

    # Intake: the mother calls.
    page.goto(url("cases:intake"))
    page.select_option("#id_intake_route", index=1)
    page.get_by_label("家族", exact=True).first.check()
    page.fill("#id_kana", "はまだ しょう")
    page.fill("#id_notes", "母親から電話。本人は10年ほど自室にいる。")
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(person__kana="はまだ しょう")
    case_url = page.url

    # Assessment.
    page.get_by_role("link", name="アセスメントを記録").first.click()
    page.get_by_label("家族関係").fill("母とは話すが、父とは会話がない。")
    page.get_by_label("8050（親の高齢化・介護）").check()
    page.get_by_label("中（早めの対応が必要）").check()
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("main")).to_contain_text("母とは話すが、父とは会話がない。")
    assert Assessment.objects.filter(case=case).count() == 1

    # A plan with an ibasho goal.
    page.goto(case_url)
    page.get_by_role("link", name="支援プランを作成").click()
    page.get_by_label("支援の方針").fill("家族支援を続け、居場所の利用をめざす。")
    page.get_by_role("button", name="作成する").click()
    page.get_by_role("link", name="目標を追加").click()
    page.get_by_label("短期目標").check()
    page.fill("#id_goal", "週1回、居場所に通う")
    option = page.locator("#id_resource option", has_text=ibasho.name)
    page.select_option("#id_resource", value=option.get_attribute("value"))
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("main")).to_contain_text("週1回、居場所に通う")
    expect(page.locator("main")).to_contain_text("会議で未決定")
    plan = SupportPlan.objects.get(case=case)
    plan_url = page.url

    # Decided at the municipality's 支援会議 that discussed the case.
    meeting = CaseMeetingFactory(
        municipality=kochi_city, kind=CaseMeeting.Kind.SUPPORT, held_on=timezone.localdate()
    )
    meeting.cases.add(case)
    page.get_by_role("link", name="会議での決定を記録").click()
    page.select_option("#id_meeting", value=str(meeting.pk))
    page.get_by_role("button", name="決定として記録する").click()
    expect(page.locator("main")).to_contain_text("支援会議（社会福祉法第106条の6）で決定")
    page.get_by_role("link", name=re.compile("支援会議")).first.click()
    expect(page.locator("#bases")).to_contain_text("第1版")

    # The referral to the ibasho, connected, linked to the goal.
    page.goto(case_url)
    page.get_by_role("link", name="つなぎ・就労").click()
    page.get_by_role("link", name="つなぎを登録する").click()
    page.select_option("#id_resource", value=option.get_attribute("value"))
    page.get_by_role("button", name="登録する").click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("button", name="つながったを記録").click()
    page.goto(plan_url)
    page.get_by_role("link", name="つなぎを関連づける").click()
    page.get_by_label(re.compile(ibasho.name)).check()
    page.get_by_role("button", name="保存する").click()
    page.goto(case_url)
    expect(page.locator("#casework")).to_contain_text("つながった")

    # Two reviews: family support, then groups and ibasho (a step forward).
    page.goto(plan_url)
    review(page, "家族への支援")
    page.goto(plan_url)
    review(page, "集団・居場所")
    expect(page.locator("main")).to_contain_text("前回より進んだ")
    assert plan.reviews.filter(moved_forward=True).count() == 1

    page.goto(url("kpi:dashboard", query=f"fy={fy}"))
    assert stage_forward(page) == before + 1
