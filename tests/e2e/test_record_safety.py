"""In Chromium: a note typed while the session ends is saved after logging in again (never a
405), and Back + resubmit after saving does not double the record."""

import re

from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.factories import CaseFactory

NOTE = "90分の訪問。本人と初めて顔を合わせ、好きなゲームの話をした。"


def test_session_expiry_keeps_the_typed_note_and_saves_it_after_login(
    browser_login, url, counselor, kochi_city
) -> None:
    case = CaseFactory(municipality=kochi_city, assigned_counselor=counselor)
    page = browser_login(counselor)
    page.goto(url("cases:detail", case.pk))
    record = page.locator("#record")
    record.get_by_label("本人", exact=True).check()  # 相手 is never prefilled: the counselor picks
    record.locator("#id_notes").fill(NOTE)
    # The idle timeout passes on the server while the counselor is typing.
    Session.objects.update(expire_date=timezone.now())
    record.get_by_role("button", name="記録する").click()

    expect(page.locator("#session-expired")).to_contain_text("ログインの有効期限が切れました")
    assert case.consultations.filter(notes=NOTE).count() == 0
    page.fill("#id_username", counselor.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    expect(page.get_by_role("heading", name="入力した内容の保存")).to_be_visible()
    expect(page.locator(".resume-summary")).to_contain_text(NOTE)
    page.get_by_role("button", name="保存する").click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    expect(page.locator("#timeline")).to_contain_text(NOTE)
    assert case.consultations.filter(notes=NOTE).count() == 1


def test_back_and_resubmit_after_saving_creates_one_record(
    browser_login, url, counselor, kochi_city
) -> None:
    case = CaseFactory(municipality=kochi_city, assigned_counselor=counselor)
    page = browser_login(counselor)
    page.goto(url("cases:detail", case.pk))
    page.locator("#record").get_by_label("本人", exact=True).check()
    page.locator("#record #id_notes").fill(NOTE)
    page.locator("#record").get_by_role("button", name="記録する").click()
    expect(page.locator(".messages")).to_contain_text("相談記録を保存しました")
    assert case.consultations.filter(notes=NOTE).count() == 1

    page.go_back()
    notes = page.locator("#record #id_notes")
    if notes.input_value() != NOTE:  # the browser did not refill it: the user types it again
        notes.fill(NOTE)
    page.locator("#record").get_by_label("本人", exact=True).check()
    page.locator("#record").get_by_role("button", name="記録する").click()
    expect(page.locator("#duplicate-notice")).to_contain_text("同じ内容の記録がすでにあります")
    assert case.consultations.filter(notes=NOTE).count() == 1
    page.locator("#duplicate-notice").get_by_role("link", name="保存済みの記録を見る").click()
    expect(page.locator("#timeline")).to_contain_text(NOTE)


def test_back_and_resubmit_on_a_casework_form_creates_one_record(
    browser_login, url, counselor, kochi_city
) -> None:
    # The casework forms share the consultation's guard (core/resubmission.py): here a consent.
    case = CaseFactory(municipality=kochi_city, assigned_counselor=counselor)
    shared = "市町村プラットフォームの構成機関"

    def fill_and_send() -> None:
        page.get_by_label("家族", exact=True).check()
        page.get_by_label("口頭", exact=True).check()
        field = page.locator("#id_shared_with")
        if field.input_value() != shared:  # the browser did not refill it
            field.fill(shared)
        page.get_by_role("button", name="記録する").click()

    page = browser_login(counselor)
    page.goto(url("casework:consent_create", case.pk))
    fill_and_send()
    expect(page.locator(".messages")).to_contain_text("同意を記録しました")
    assert case.consents.count() == 1

    page.go_back()
    fill_and_send()
    expect(page.locator("#duplicate-notice")).to_contain_text("同じ内容の記録がすでにあります")
    assert case.consents.count() == 1
    page.locator("#duplicate-notice").get_by_label(re.compile("同じ内容でもう1件記録する")).check()
    fill_and_send()
    expect(page.locator(".messages")).to_contain_text("同意を記録しました")
    assert case.consents.count() == 2
