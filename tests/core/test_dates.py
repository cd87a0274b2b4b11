"""Dates: 和暦 typed in (core.wareki) and the one display format, 和暦 for users who chose it."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from core.dates import WAREKI, WESTERN, format_day
from core.wareki import format_wareki, parse_date, parse_year


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("R8.12.2", dt.date(2026, 12, 2)),
        ("令和8年12月2日", dt.date(2026, 12, 2)),
        ("H31.4.1", dt.date(2019, 4, 1)),
        ("h31/4/1", dt.date(2019, 4, 1)),
        ("R元.5.1", dt.date(2019, 5, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("S60.1.15", dt.date(1985, 1, 15)),
        ("2026-12-02", dt.date(2026, 12, 2)),
        ("2026/12/2", dt.date(2026, 12, 2)),
        ("2026年12月2日", dt.date(2026, 12, 2)),
        ("20261202", dt.date(2026, 12, 2)),
        ("Ｒ８．１２．２", dt.date(2026, 12, 2)),
    ],
)
def test_parse_date_reads_wareki_and_western(typed: str, day: dt.date) -> None:
    assert parse_date(typed) == day


@pytest.mark.parametrize("typed", ["H31.5.1", "R1.4.30", "R8.2.30", "2026-13-01", "昨日", "R0.1.1"])
def test_parse_date_refuses_days_outside_their_era_or_calendar(typed: str) -> None:
    assert parse_date(typed) is None


@pytest.mark.parametrize(
    ("typed", "year"),
    [("S60", 1985), ("昭和60", 1985), ("昭和60年", 1985), ("H元", 1989), ("1985", 1985)],
)
def test_parse_year_reads_wareki_and_western(typed: str, year: int) -> None:
    assert parse_year(typed) == year


@pytest.mark.parametrize("typed", ["S70", "R", "85", "昭和"])
def test_parse_year_refuses_what_is_not_a_year(typed: str) -> None:
    assert parse_year(typed) is None


def test_format_wareki_uses_gannen() -> None:
    assert format_wareki(dt.date(2026, 12, 2)) == "令和8年12月2日"
    assert format_wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"


def test_format_day_follows_the_style() -> None:
    assert format_day(dt.date(2026, 12, 2), WESTERN) == "2026年12月2日"
    assert format_day(dt.date(2026, 12, 2), WAREKI) == "令和8年12月2日"


@pytest.mark.django_db
def test_preferences_switch_the_users_dates_to_wareki_and_are_audited(login, counselor) -> None:
    client = login(counselor)
    response = client.post(reverse("accounts:preferences"), {"date_style": "wareki"})
    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.date_style == User.DateStyle.WAREKI
    event = AuditEvent.objects.filter(object_type="accounts.user", action="update").get()
    assert event.changed_fields == ["date_style"]
    body = client.get(reverse("accounts:preferences")).content.decode()
    assert 'value="wareki" id="id_date_style_1" required checked' in body


def test_day_filter_renders_the_one_format() -> None:
    rendered = Template("{% load dates %}{{ d|day }}").render(Context({"d": dt.date(2026, 1, 5)}))
    assert rendered == "2026年1月5日"
