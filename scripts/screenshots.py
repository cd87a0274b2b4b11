"""Render the main pages at desktop (1366) and tablet (820) widths into docs/screenshots/.

Seeds the demo data into a throwaway SQLite database, serves the app with the development
server, and drives Debian's Chromium (tests/e2e/browser.py) with Playwright.
Run: `make screenshots`.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, missing  # noqa: E402 (needs ROOT on the path)

OUT = ROOT / "docs" / "screenshots"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8401"))
BASE = f"http://127.0.0.1:{PORT}"
WIDTHS = {"desktop": 1366, "tablet": 820}
MAX_HEIGHT = 1800  # very long pages are cut here, to keep each PNG small
PASSWORD = "demo"  # noqa: S105 (the demo accounts' published password, demo/accounts.py)


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(  # noqa: S603 (fixed manage.py commands)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip


def wait_for_server() -> None:
    for _ in range(120):  # up to a minute on a busy machine
        try:
            urllib.request.urlopen(BASE + "/healthz", timeout=1)  # noqa: S310 (local)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the development server did not start")


def log_in(page: Page, username: str, env: dict[str, str] | None = None) -> None:
    page.context.clear_cookies()
    page.goto(BASE + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state()
    if env is not None and "/accounts/otp/verify" in page.url:
        code = manage(env, "demo_totp").split()[0]
        page.fill("#id_token", code)
        page.press("#id_token", "Enter")
        page.wait_for_load_state()


ONLY = set(sys.argv[1:])  # e.g. `scripts/screenshots.py 08-overview`: just those pages


def shoot(page: Page, name: str) -> None:
    if ONLY and name not in ONLY:
        return
    page.wait_for_load_state("networkidle")
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
        path = OUT / f"{name}-{label}.png"
        page.screenshot(path=path, clip={"x": 0, "y": 0, "width": width, "height": height},
                        full_page=True)  # fmt: skip
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def shoot_section(page: Page, name: str, selector: str) -> None:
    """One section of a long page (the dashboard's programme figures, below the fold)."""
    if ONLY and name not in ONLY:
        return
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        path = OUT / f"{name}-{label}.png"
        page.locator(selector).screenshot(path=path)
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def first_link(page: Page, pattern: str) -> str:
    for href in page.locator("main a[href]").evaluate_all("els => els.map(e => e.href)"):
        if re.search(pattern, href):
            return str(href)
    raise SystemExit(f"no link matching {pattern} on {page.url}")


def run(browser: Browser, env: dict[str, str]) -> None:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(BASE + "/accounts/login/")
    shoot(page, "01-login")

    log_in(page, "soudan-kochi")
    page.goto(BASE + "/")
    shoot(page, "02-home")
    page.goto(BASE + "/cases/")
    shoot(page, "03-case-list")
    page.goto(first_link(page, r"/cases/\d+/$"))
    shoot(page, "04-case")
    page.goto(page.url + "print/")
    shoot(page, "16-case-print")
    page.goto(BASE + "/")
    record = page.locator("#home-follow-ups").locator("xpath=..").locator("a.button").first
    if record.count():
        record.click()
        page.wait_for_load_state()
        shoot(page, "14-record")
    page.goto(BASE + "/cases/new/")
    shoot(page, "05-intake")
    page.goto(BASE + "/meetings/")
    page.goto(first_link(page, r"/meetings/\d+/$"))
    shoot(page, "09-meeting")
    page.goto(BASE + "/meetings/new/")
    page.locator("#id_case_q").fill("高橋")
    page.get_by_role("button", name="検索").click()
    page.wait_for_load_state()
    shoot(page, "15-meeting-form")
    page.goto(BASE + "/referrals/follow-up/")
    page.goto(first_link(page, r"/referrals/\d+/$"))
    shoot(page, "10-referral")
    page.goto(BASE + "/resources/")
    shoot(page, "11-resources")
    page.goto(BASE + "/programme/entries/?show=all")
    shoot(page, "28-register")
    page.goto(first_link(page, r"/programme/entries/\d+/$"))
    shoot(page, "29-register-entry")
    page.goto(page.url + "case/")
    shoot(page, "30-register-open-case")
    page.goto(BASE + "/programme/supervision/")
    shoot(page, "31-supervision-list")
    page.goto(first_link(page, r"/programme/supervision/\d+/$"))
    shoot(page, "32-supervision")
    page.goto(BASE + "/programme/training/")
    shoot(page, "33-training")
    page.goto(first_link(page, r"/programme/training/\d+/$"))
    shoot(page, "34-training-event")
    page.goto(BASE + "/programme/publicity/")
    shoot(page, "35-publicity")
    page.goto(BASE + "/programme/places/")
    shoot(page, "36-supported-places")
    # The casework cycle: a plan due for review from the home panel, its case, its pages.
    page.goto(BASE + "/")
    plans = page.locator("main a[href]").evaluate_all("els => els.map(e => e.href)")
    for plan_url in [h for h in plans if re.search(r"/casework/plans/\d+/$", h)]:
        page.goto(plan_url)  # the first one decided at a meeting and reviewed before
        hrefs = page.locator("main a[href]").evaluate_all("els => els.map(e => e.href)")
        if any(re.search(r"/meetings/\d+/$", h) for h in hrefs) and any(
            re.search(r"/casework/reviews/\d+/$", h) for h in hrefs
        ):
            break
    shoot(page, "20-plan")
    case_url = first_link(page, r"/cases/\d+/$")
    meeting_url = first_link(page, r"/meetings/\d+/$")
    review_url = first_link(page, r"/casework/reviews/\d+/$")
    page.goto(plan_url + "reviews/new/")
    shoot(page, "23-review-form")
    page.goto(review_url)
    shoot(page, "24-review")
    page.goto(case_url)
    shoot(page, "21-case-with-plan")
    case_pk = case_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(BASE + f"/casework/cases/{case_pk}/assessments/new/")
    shoot(page, "22-assessment-form")
    page.goto(BASE + f"/casework/cases/{case_pk}/contacts/")
    shoot(page, "25-contacts")
    page.goto(BASE + f"/casework/cases/{case_pk}/consents/new/")
    shoot(page, "26-consent-form")
    page.goto(meeting_url.replace("/meetings/", "/casework/meetings/") + "bases/")
    shoot(page, "27-meeting-bases")

    log_in(page, "kencho")
    page.goto(BASE + "/")
    shoot(page, "17-prefecture-home")
    page.goto(BASE + "/kpi/")
    shoot(page, "06-dashboard")
    page.goto(BASE + "/kpi/?fy=2021")
    shoot(page, "07-dashboard-fy2021")
    page.goto(BASE + "/kpi/?fy=2023")  # closed by the demo (年度確定)
    shoot(page, "18-dashboard-closed")
    page.goto(BASE + "/municipalities/")
    shoot(page, "08-overview")
    page.goto(BASE + "/kpi/?fy=2021&as_of=2021-12-31")
    shoot_section(page, "37-dashboard-programme", ".kpi-programme")

    log_in(page, "admin", env)
    page.goto(BASE + "/exports/?kind=consultations")
    page.get_by_role("button", name="出力する").click()
    page.wait_for_url(re.compile(r"/exports/jobs/"))
    shoot(page, "13-export-progress")
    page.goto(BASE + "/audit/")
    shoot(page, "12-audit")
    page.goto(BASE + "/resources/")
    page.goto(first_link(page, r"/resources/\d+/$"))
    page.goto(first_link(page, r"/kinds/\d+/settings/$"))
    page.uncheck("#id_counts_as_ibasho")
    today = time.localtime()
    fy_start = f"{today.tm_year if today.tm_mon >= 4 else today.tm_year - 1}-04-01"
    page.fill("#id_effective_from", fy_start)  # the earliest: this fiscal year's links move
    page.fill("#id_reason", "見直し（スクリーンショット）")
    page.get_by_role("button", name="変わる数値を確認する").click()
    page.wait_for_load_state()
    shoot(page, "19-kind-settings-preview")
    context.close()


def main() -> None:
    problem = missing()
    if problem:
        raise SystemExit(problem)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hiki-screenshots-") as tmp:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "PRIVATE_ROOT": f"{tmp}/private",
            # Small, so that the export shows its progress page (no worker runs here).
            "EXPORT_BACKGROUND_THRESHOLD": "10",
        }
        manage(env, "migrate", "--noinput")
        manage(env, "load_municipalities")
        manage(env, "seed_demo")
        server = subprocess.Popen(  # noqa: S603 (the development server)
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for_server()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                run(browser, env)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
