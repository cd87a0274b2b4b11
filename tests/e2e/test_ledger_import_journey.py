"""A counselor imports a ledger from the browser: upload, preview, confirm; the import runs as a
background job on the exports' progress page, which says when no worker is running and shows
the result when a worker has done it."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management import call_command
from playwright.sync_api import Route, expect

from cases.models import Case
from exports.models import ExportJob
from tests.exports.test_ledger_import import GOOD

SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a directory: the pages at 1366 and 820 px


def _shoot(page, name: str) -> None:
    if not SHOTS:
        return
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@contextmanager
def _page_requests_held(page, pattern: str) -> Iterator[None]:
    """The page's requests to `pattern` wait until the block is done, then go on.

    On SQLite the live server shares the test's one in-memory connection (Django's
    LiveServerThread): a progress poll served while the worker runs in this thread would
    interleave two threads' transactions on that connection, which a deployment (a worker
    process with its own connection) never does. The held polls still run, after the worker.

    A poll already sent when the route is installed is not held, so the block starts only when
    the next poll has been held: the page polls one request at a time, so none is in flight."""
    held: list[Route] = []
    done = False

    def hold(route: Route) -> None:
        if done:
            route.continue_()
        else:
            held.append(route)

    page.route(pattern, hold)
    for _ in range(300):  # the page polls every 1.5 s, or 5 s after a failed poll
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page stopped polling"
    try:
        yield
    finally:
        done = True
        page.wait_for_timeout(100)  # routes intercepted meanwhile reach `hold`
        for route in held:
            route.continue_()
        page.unroute(pattern, hold)


def test_counselor_imports_a_ledger_through_the_background_job(
    browser_login, url, counselor, settings, tmp_path
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    ledger = tmp_path / "daicho.xlsx"
    ledger.write_bytes(GOOD)

    page = browser_login(counselor)
    page.goto(url("exports:ledger_upload"))
    page.locator("input[type=file]").set_input_files(str(ledger))
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_text("エラーはありません")).to_be_visible()
    page.get_by_role("button", name="取り込む").click()
    page.wait_for_url(re.compile(r"/exports/jobs/[0-9a-f-]+/$"))
    expect(page.locator("h1")).to_have_text("取込の進み具合")
    expect(page.locator("#job-no-worker")).to_be_visible()  # nobody would pick it up
    _shoot(page, "ledger-job-waiting")
    assert not Case.objects.exists()

    # A worker, once, on the queued task; the page polls and shows the result.
    with _page_requests_held(page, "**/exports/jobs/**"):
        call_command("run_worker", "--batch", "--interval", "0", verbosity=0)
    assert ExportJob.objects.get(kind="ledger_import").status == "done"
    # The page polls: on a busy machine the next poll can be a while.
    expect(page.locator("#job-result")).to_contain_text("新規ケース2件", timeout=45_000)
    _shoot(page, "ledger-job-done")
    assert ExportJob.objects.get(kind="ledger_import").status == "done"
    assert Case.objects.count() == 2
    assert not list((tmp_path / "imports").glob("*"))  # the upload is gone
