"""Accessibility in the browser: axe-core finds no serious or critical violation on the main
pages; the intake form can be completed with the keyboard alone; charts have text
alternatives."""

import datetime as dt
import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case
from core.fiscal import current_fiscal_year
from tests.factories import CaseFactory, CaseMeetingFactory, ConsultationFactory

AXE = Axe()


def serious_violations(page: Page) -> list[str]:
    results = AXE.run(page)
    assert results.response["testEngine"]["name"] == "axe-core"  # it did run
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def some_cases(kochi_city, counselor) -> Case:
    today = timezone.localdate()
    case = None
    for i in range(3):
        case = CaseFactory(
            person__municipality=kochi_city,
            intake_date=today - dt.timedelta(days=40 + i),
            assigned_counselor=counselor,
        )
        ConsultationFactory(
            case=case, date=case.intake_date, next_action="電話で様子を聞く",
            next_action_date=today - dt.timedelta(days=i),
        )  # fmt: skip
    CaseMeetingFactory(municipality=kochi_city, held_on=today - dt.timedelta(days=3))
    assert case is not None
    return case


@pytest.mark.parametrize(
    ("who", "page_name"),
    [
        (None, "accounts:login"),
        ("counselor", "home"),
        ("counselor", "cases:list"),
        ("counselor", "cases:detail"),
        ("counselor", "cases:intake"),
        ("counselor", "kpi:dashboard"),
        ("prefecture_staff", "platforms:overview"),
        ("counselor", "referrals:resource_list"),
        ("admin_user", "audit:list"),
    ],
)
def test_no_serious_or_critical_axe_violations(
    who: str | None, page_name: str, request, browser_login, url, page, kochi_city, counselor
) -> None:
    case = some_cases(kochi_city, counselor)
    if who == "admin_user":  # administrators log in with a second factor
        browser_login(request.getfixturevalue(who), device=request.getfixturevalue("admin_device"))
    elif who is not None:
        browser_login(request.getfixturevalue(who))
    args: Any = (case.pk,) if page_name == "cases:detail" else ()
    response = page.goto(url(page_name, *args))
    assert response is not None and response.status == 200
    assert serious_violations(page) == []


def tab_to(page: Page, name: str, limit: int = 120) -> None:
    """Press Tab until the field named `name` has the focus (fails if it is not reachable)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return
    raise AssertionError(f"field {name!r} not reachable with Tab")


def test_intake_form_can_be_completed_with_the_keyboard_alone(
    browser_login, url, counselor
) -> None:
    page = browser_login(counselor)
    page.goto(url("cases:intake"))
    tab_to(page, "intake_route")
    page.keyboard.press("ArrowDown")  # the first route
    tab_to(page, "visitor")  # Tab enters the radio group; arrows move, Space picks
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    visitor = page.evaluate("document.activeElement.value")
    tab_to(page, "kana")
    page.keyboard.type("きーぼーど たろう")
    tab_to(page, "birth_year")
    page.keyboard.type("1988")
    tab_to(page, "notes")
    page.keyboard.type("キーボードだけで入力した相談。")
    # Tab on to the submit button and press Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    expect(page.locator(":focus")).to_have_text("登録する")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(person__kana="きーぼーど たろう")
    assert case.person.birth_year == 1988
    assert case.intake_route != ""
    assert case.visitor == visitor
    assert case.consultations.get().notes == "キーボードだけで入力した相談。"


def test_dashboard_charts_have_text_alternatives_and_data_tables(
    browser_login, url, counselor, kochi_city
) -> None:
    some_cases(kochi_city, counselor)
    page = browser_login(counselor)
    page.goto(url("kpi:dashboard", query=f"fy={current_fiscal_year()}"))
    charts = page.locator("svg.kpi-chart__svg")
    expect(charts).to_have_count(4)
    for i in range(4):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("role", "img")
        expect(chart).to_have_accessible_name(re.compile(r"\S+の月別累計.*時点の累計は\d+"))
    tables = page.locator("figure.kpi-chart details table")
    expect(tables).to_have_count(4)
    page.locator("figure.kpi-chart summary").first.click()
    expect(tables.first).to_be_visible()
    expect(tables.first.locator("tbody tr")).to_have_count(12)


def case_with_everything(kochi_city, counselor) -> Case:
    """A case whose timeline has every kind of entry: consultations (one long, folded),
    referral steps, a job start and a meeting."""
    from referrals.models import ReferralTransition
    from tests.factories import EmploymentOutcomeFactory, ReferralFactory

    case = some_cases(kochi_city, counselor)
    ConsultationFactory(case=case, date=case.intake_date, notes="長い記録。" * 80)
    referral = ReferralFactory(case=case)
    ReferralTransition.objects.create(
        referral=referral, to_status="proposed", on=case.intake_date, by=counselor
    )
    EmploymentOutcomeFactory(case=case, started_on=timezone.localdate())
    CaseMeetingFactory(municipality=kochi_city).cases.set([case])
    return case


@pytest.mark.parametrize(
    ("who", "page_name"),
    [
        ("counselor", "cases:detail"),
        ("counselor", "cases:print"),
        ("counselor", "cases:household_print"),
        ("counselor", "platforms:meeting_create"),
        ("counselor", "platforms:meeting_edit"),
        ("counselor", "platforms:meeting_detail"),
        ("counselor", "platforms:meeting_print"),
        ("counselor", "accounts:preferences"),
        ("prefecture_staff", "home"),
        ("admin_user", "exports:index"),
    ],
)
def test_changed_pages_have_no_serious_or_critical_axe_violations(
    who: str, page_name: str, request, browser_login, url, page, kochi_city, counselor
) -> None:
    case = case_with_everything(kochi_city, counselor)
    if who == "admin_user":
        browser_login(request.getfixturevalue(who), device=request.getfixturevalue("admin_device"))
    else:
        browser_login(request.getfixturevalue(who))
    from platforms.models import CaseMeeting

    meeting = CaseMeeting.objects.filter(cases=case).first()
    args: Any = ()
    query = ""
    if page_name.startswith("cases:"):
        args = (case.pk,)
    elif page_name == "platforms:meeting_create":
        query = f"municipality={kochi_city.pk}"
    elif page_name.startswith("platforms:"):
        args = (meeting.pk,)
    response = page.goto(url(page_name, *args, query=query))
    assert response is not None and response.status == 200
    if page_name == "cases:detail":
        assert page.locator("#timeline .timeline__item--referral").count() == 1
        assert page.locator("#timeline .timeline__item--employment").count() == 1
        expect(page.locator("#timeline details summary").first).to_contain_text("続きを読む")
    assert serious_violations(page) == []


def test_record_form_errors_and_the_meeting_picker_search_have_no_violations(
    browser_login, url, page, kochi_city, counselor
) -> None:
    case = case_with_everything(kochi_city, counselor)
    browser_login(counselor)
    page.goto(url("cases:detail", case.pk) + "#record")
    page.locator("#record button[type=submit]").click()  # nothing chosen: errors
    expect(page.locator(".error-summary")).to_be_visible()
    assert serious_violations(page) == []
    page.goto(url("platforms:meeting_create", query=f"municipality={kochi_city.pk}"))
    page.locator("#id_case_q").fill(case.number)
    page.get_by_role("button", name="検索").click()
    expect(page.locator(".case-picker")).to_contain_text(case.number)
    assert serious_violations(page) == []
