"""An admin (with the second factor) exports consultations above the background threshold,
watches the progress page finish, downloads the file and finds it all in the audit trail."""

import re

import openpyxl
from django.core.management import call_command
from playwright.sync_api import expect

from audit.models import AuditEvent
from exports.models import ExportJob
from tests.factories import CaseFactory, ConsultationFactory


def test_admin_background_export_progress_download_and_audit_trail(
    browser_login, url, admin_user, admin_device, kochi_city, settings, tmp_path
) -> None:
    settings.EXPORT_BACKGROUND_THRESHOLD = 5
    settings.PRIVATE_ROOT = tmp_path
    cases = CaseFactory.create_batch(4, person__municipality=kochi_city)
    for case in cases:
        ConsultationFactory.create_batch(3, case=case)

    page = browser_login(admin_user, device=admin_device)
    # Earlier actions: the case list and one case page.
    page.goto(url("cases:list"))
    page.get_by_role("link", name=cases[0].number).first.click()
    expect(page.locator("h1")).to_contain_text(cases[0].number)

    page.goto(url("exports:index", query="kind=consultations"))
    page.get_by_label("相談記録", exact=False).first.check()
    page.get_by_role("button", name="出力する").click()
    page.wait_for_url(re.compile(r"/exports/jobs/[0-9a-f-]+/$"))
    job = ExportJob.objects.get(requested_by=admin_user)
    assert job.total_rows == 12
    expect(page.locator("#job-waiting")).to_be_visible()

    # The real worker, once, on the queued task; the page polls and updates by itself.
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    download_link = page.locator("#job-download")
    expect(download_link).to_be_visible(timeout=15_000)
    expect(page.locator("#job-status")).to_have_text("完了")
    expect(page.locator("#job-done")).to_have_text("12")

    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "download.xlsx"
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {c.number for c in cases} <= {str(n) for n in numbers}

    page.goto(url("audit:list"))
    table = page.locator("table.table tbody")
    for label in ("出力", "閲覧", "一覧・検索", "ログイン"):
        expect(table.locator("tr", has_text=label).first).to_contain_text("admin")
    assert AuditEvent.objects.filter(username="admin", action=AuditEvent.Action.EXPORT).exists()
