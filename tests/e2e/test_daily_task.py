"""The daily task, measured: from the home page, record a follow-up phone call on a case whose
follow-up is due today, counting every interaction (README: "The daily task")."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from cases.models import Consultation
from tests.factories import CaseFactory, ConsultationFactory

MAX_INTERACTIONS = 6


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


def test_follow_up_phone_call_from_home_takes_at_most_six_interactions(
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
    act.click(row.get_by_role("link", name="記録する"))

    form = page.locator("#record form")
    expect(form).to_be_in_viewport()
    # Every required field is on the screen, prefilled for a phone call today with the family.
    required = form.locator(".field", has=page.locator(".required"))
    assert required.count() >= 3
    for i in range(required.count()):
        expect(required.nth(i)).to_be_visible()
    expect(form.locator("#id_date")).to_have_value(today.isoformat())
    expect(form.get_by_label("電話", exact=True)).to_be_checked()
    expect(form.get_by_label("家族", exact=True)).to_be_checked()

    act.fill(form.locator("#id_notes"), "母親と電話。本人は週に一度コンビニへ出かけている。")
    act.press(form.get_by_role("button", name="記録する"), "Enter")

    expect(page.locator("#timeline")).to_contain_text("本人は週に一度コンビニへ出かけている")
    latest = case.consultations.order_by("-id").first()
    assert latest.date == today and latest.method == Consultation.Method.PHONE
    assert latest.with_whom == Consultation.WithWhom.FAMILY
    assert act.count <= MAX_INTERACTIONS, act.log
    assert act.count == 3, act.log  # the figure in README.md
    # Done for today: the case has left the home page's follow-up list.
    page.goto(url("home"))
    expect(page.locator("section", has=page.locator("#home-follow-ups"))).not_to_contain_text(
        case.number
    )
