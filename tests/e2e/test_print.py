"""The print layouts as Chromium prints them: page.pdf() of the case record, the household
sheet and the meeting handout, read back as text (pdftotext) and rendered to PNG (pdftoppm)
for a look. The title block is there, no form, and the minutes only when asked for."""

import datetime as dt
import os
import re
import subprocess
import tempfile
from pathlib import Path

from django.utils import timezone

from cases.models import Household
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    ConsultationFactory,
    HouseholdMemberFactory,
)

# PRINT_OUT=docs/print keeps the PDFs and page images (README shows them); else a temp dir.
OUT = Path(os.environ.get("PRINT_OUT") or tempfile.mkdtemp(prefix="print-"))


def _pdf_text(page, name: str) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    pdf = OUT / f"{name}.pdf"
    page.emulate_media(media="print")
    pdf.write_bytes(page.pdf(format="A4", prefer_css_page_size=True, print_background=True))
    subprocess.run(  # noqa: S603 (fixed arguments: our own file)
        ["/usr/bin/pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(OUT / name)],
        check=True,
    )
    text = subprocess.run(  # noqa: S603
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text


def test_case_record_prints_with_title_block_history_and_page_numbers(
    browser_login, url, counselor, kochi_city
) -> None:
    today = timezone.localdate()
    case = CaseFactory(
        person__municipality=kochi_city, person__name="髙橋 健太", assigned_counselor=counselor,
        intake_date=today - dt.timedelta(days=200),
    )  # fmt: skip
    for i in range(40):  # enough history for more than one page
        ConsultationFactory(
            case=case, date=today - dt.timedelta(days=190 - i * 4),
            notes=f"第{i + 1}回の面談。母親と今後の見通しを話した。" * 3,
        )  # fmt: skip
    page = browser_login(counselor)
    page.goto(url("cases:print", case.pk))
    assert page.locator("form").count() == 0
    text = _pdf_text(page, "case_record")
    for label in ("支援経過記録", "氏名", "髙橋 健太", "ケース番号", case.number, "担当",
                  "印刷日時", "取扱注意", "概要", "世帯", "支援経過"):  # fmt: skip
        assert label in text, label
    assert "戻る" not in text  # the screen toolbar stays off paper
    assert re.search(r"1\s*/\s*\d", text) and re.search(r"2\s*/\s*\d", text)  # page numbers


def test_household_sheet_prints(browser_login, url, counselor, kochi_city) -> None:
    case = CaseFactory(person__municipality=kochi_city)
    household = Household.objects.create(person=case.person, notes="80代の母と二人暮らし")
    HouseholdMemberFactory(household=household, circumstances="要介護2の母")
    page = browser_login(counselor)
    page.goto(url("cases:household_print", case.pk))
    text = _pdf_text(page, "household_sheet")
    assert "世帯票" in text and "要介護2の母" in text and "取扱注意" in text


def test_meeting_handout_prints_minutes_only_when_asked(
    browser_login, url, counselor, kochi_city
) -> None:
    meeting = CaseMeetingFactory(
        municipality=kochi_city, decisions="月1回の訪問を続ける", minutes="家族の事情（秘）"
    )
    meeting.cases.set([CaseFactory(person__municipality=kochi_city)])
    page = browser_login(counselor)
    page.goto(url("platforms:meeting_print", meeting.pk))
    text = _pdf_text(page, "meeting_handout")
    assert "配布資料" in text and "月1回の訪問を続ける" in text
    assert "家族の事情" not in text
    page.goto(url("platforms:meeting_print", meeting.pk, query="minutes=1"))
    text = _pdf_text(page, "meeting_handout_minutes")
    assert "家族の事情" in text and "秘" in text
