"""Tablets (820 px): the audit trail and the resources list show every row without sideways
scrolling (stacked rows, each value labelled with its column), keep their table semantics and
pass axe; at desktop width they stay ordinary tables."""

from typing import Any

import pytest
from playwright.sync_api import Page

from audit.models import AuditEvent
from referrals.models import Resource
from tests.e2e.test_accessibility import serious_violations
from tests.factories import PlaceSupportFactory, ResourceFactory

CONTACT = "yururi_ibasho_kochi_support_center@example.jp"
TABLET = {"width": 820, "height": 1000}
DESKTOP = {"width": 1366, "height": 900}

# Neither the page nor a table's own scroll box (.table-wrap) is wider than what is shown.
WIDTHS = """() => ({
    page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    tables: [...document.querySelectorAll('.table-wrap')].map(e => [e.scrollWidth, e.clientWidth]),
})"""


def long_audit_trail(kochi_city) -> None:
    """Rows as wide as real ones get: long usernames and object types, IPv6, filters."""
    for i in range(30):
        AuditEvent.objects.create(
            username=f"soudan-kochi-shiyakusho-{i:02d}", role="counselor",
            ip_address=f"2001:db8:85a3::8a2e:370:{i:04x}",
            action=AuditEvent.Action.EXPORT if i % 3 else AuditEvent.Action.UPDATE,
            object_type="platforms.casemeetingparticipant", object_id=str(100_000 + i),
            municipality_id=kochi_city.pk, row_count=12_345 + i,
            changed_fields=["next_action_date", "assigned_counselor", "status"],
            filters={"fy": 2026, "jurisdiction": "kochi", "include_personal": False},
            reason="年度末の定例報告のための出力",
        )  # fmt: skip


def long_resources(kochi_city) -> None:
    """Long names, and opening days with a contact address: runs a table cannot wrap."""
    for i in range(25):
        resource = ResourceFactory(
            name=f"居場所「ゆるり」（Kochi-Hikikomori-Community-Support-Centre）{i}",
            operator_type=Resource.Operator.ATTAKA_CENTER, municipality=kochi_city,
            opening_days=f"第1・第3土曜 13:00〜16:00（予約: {CONTACT}）",
            capacity=20,
        )  # fmt: skip
        PlaceSupportFactory(resource=resource)


def open_page(which: str, request, browser_login, url, kochi_city) -> Page:
    if which == "audit":
        long_audit_trail(kochi_city)
        page = browser_login(
            request.getfixturevalue("admin_user"), device=request.getfixturevalue("admin_device")
        )
        page.goto(url("audit:list"))
    else:
        long_resources(kochi_city)
        page = browser_login(request.getfixturevalue("counselor"))
        page.goto(url("referrals:resource_list"))
    assert page.locator("table.table--stack tbody tr").count() >= 25
    return page


@pytest.mark.parametrize("which", ["audit", "resources"])
def test_tablet_rows_fit_without_sideways_scrolling(
    which: str, request, browser_login, url, kochi_city
) -> None:
    page = open_page(which, request, browser_login, url, kochi_city)
    page.set_viewport_size(TABLET)
    widths: dict[str, Any] = page.evaluate(WIDTHS)
    assert widths["page"][0] <= widths["page"][1], widths
    assert widths["tables"] and all(scroll <= client for scroll, client in widths["tables"]), widths
    # Each value is labelled with its column (the header row is hidden from sight only).
    first_cell = page.locator("table.table--stack tbody td").first
    label = first_cell.evaluate("td => getComputedStyle(td, '::before').content")
    header = page.locator("table.table--stack thead th").first.inner_text()
    assert header.strip() in label
    assert page.get_by_role("columnheader").count() >= 7  # still a table to screen readers
    assert serious_violations(page) == []

    page.set_viewport_size(DESKTOP)  # an ordinary table again
    assert page.locator("table.table--stack thead").is_visible()
    row_display = page.locator("table.table--stack tbody tr").first.evaluate(
        "tr => getComputedStyle(tr).display"
    )
    assert row_display == "table-row"
