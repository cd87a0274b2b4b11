"""The daily task, measured: from the home page, record a follow-up phone call on a case whose
follow-up is due today, counting every interaction (README: "The daily task")."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from cases.models import Consultation
from tests.factories import CaseFactory, ConsultationFactory

MAX_INTERACTIONS = 3


class Interactions:
    """Performs clicks, fills and key presses, counting each one."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        self.log: list[str] = []

    def click(self, locator: Locator) -> None:
        self._note("click", locator)
        locator.click()

    def fill(self, locator: Locator, value: str) -> None:
        self._note("fill", locator)
        locator.fill(value)

    def press(self, locator: Locator, key: str) -> None:
        self._note(f"press {key}", locator)
        locator.press(key)

    def _note(self, what: str, locator: Locator) -> None:
        self.count += 1
        self.log.append(f"{what}: {locator}")


def test_follow_up_phone_call_from_home_takes_three_interactions(
    browser_login, url, counselor, kochi_city
) -> None:
    today = timezone.localdate()
    case = CaseFactory(
        person__municipality=kochi_city, assigned_counselor=counselor,
        intake_date=today - dt.timedelta(days=30),
    )  # fmt: skip
    ConsultationFactory(
        case=case, date=today - dt.timedelta(days=7), method=Consultation.Method.PHONE,
        with_whom=Consultation.WithWhom.FAMILY, next_action="母親に電話して様子を聞く",
        next_action_date=today,
    )  # fmt: skip
    page = browser_login(counselor)
    page.goto(url("home"))  # where the counselor starts the day (not counted)

    act = Interactions(page)
    follow_ups = page.locator("section", has=page.locator("#home-follow-ups"))
    row = follow_ups.locator("tr", has_text=case.number)
    expect(row).to_contain_text("今日")
    # The link names the 相手 it chooses (last time's): the click is the counselor's choice.
    act.click(row.get_by_role("link", name="家族と記録する"))

    form = page.locator("#record form")
    expect(form).to_be_in_viewport()
    # The case, the person and the action that was due stay in view above the form.
    context = page.locator("#record .record-context")
    expect(context).to_contain_text(case.number)
    expect(context).to_contain_text("母親に電話して様子を聞く")
    # Every required field is on the screen, prefilled for a phone call today with the family.
    required = form.locator(".field", has=page.locator(".required"))
    assert required.count() >= 3
    for i in range(required.count()):
        expect(required.nth(i)).to_be_visible()
    expect(form.locator("#id_date")).to_have_value(today.isoformat())
    expect(form.get_by_label("電話", exact=True)).to_be_checked()
    expect(form.get_by_label("家族", exact=True)).to_be_checked()
    expect(form.get_by_text("前回の相手：家族")).to_be_visible()
    # The cursor is in 内容: typing needs no click.
    expect(form.locator("#id_notes")).to_be_focused()

    act.fill(form.locator("#id_notes"), "母親と電話。本人は週に一度コンビニへ出かけている。")
    act.press(form.locator("#id_notes"), "Control+Enter")

    expect(page.locator("#timeline")).to_contain_text("本人は週に一度コンビニへ出かけている")
    latest = case.consultations.order_by("-id").first()
    assert latest.date == today and latest.method == Consultation.Method.PHONE
    assert latest.with_whom == Consultation.WithWhom.FAMILY
    assert act.count <= MAX_INTERACTIONS, act.log  # the figure in README.md
    # Done for today: the case has left the home page's follow-up list.
    page.goto(url("home"))
    expect(page.locator("section", has=page.locator("#home-follow-ups"))).not_to_contain_text(
        case.number
    )


def test_record_form_without_the_home_choice_makes_the_counselor_choose_the_contact(
    browser_login, url, counselor, kochi_city
) -> None:
    today = timezone.localdate()
    case = CaseFactory(
        person__municipality=kochi_city, assigned_counselor=counselor,
        intake_date=today - dt.timedelta(days=30),
    )  # fmt: skip
    ConsultationFactory(case=case, date=today - dt.timedelta(days=7))
    page = browser_login(counselor)
    page.goto(url("cases:detail", case.pk) + "#record")
    form = page.locator("#record form")
    expect(form.locator("#id_notes")).to_be_focused()
    expect(form.locator('input[name="with_whom"]:checked')).to_have_count(0)
    page.keyboard.type("電話したが出なかった。")
    page.keyboard.press("Control+Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("相手を選んでください。")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_with_whom_error")
    assert case.consultations.count() == 1
