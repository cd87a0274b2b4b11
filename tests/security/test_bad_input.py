"""Finding 7: bad input gets a clear message, never a 500 page."""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from tests.cases.test_views_intake import intake_data
from tests.exports.test_ledger_import import ledger, row, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/cases/?q=%00", "/cases/?q=a%00b&status=open", "/meetings/?kind=%00", "/audit/?username=%00"],
)
def test_a_nul_byte_in_the_query_string_gets_a_message(login, admin_user, url: str) -> None:
    response = login(admin_user).get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_byte_in_the_path_gets_a_message(login, admin_user) -> None:
    response = login(admin_user).get("/municipalities/392014%00/")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_an_audit_search_up_to_9999_gets_a_message(login, admin_user, field: str) -> None:
    response = login(admin_user).get(reverse("audit:list"), {field: "9999-12-31"})
    assert response.status_code == 200
    assert "2999-12-31 までの日付を入力してください" in response.content.decode()
    export = login(admin_user).get(reverse("audit:export"), {field: "9999-12-31"})
    assert export.status_code == 302  # back to the search, with the message; no file


def test_an_intake_date_before_1989_gets_a_message(login, counselor, kochi_city) -> None:
    data = intake_data(kochi_city, intake_date="1026-04-01")
    response = login(counselor).post(reverse("cases:intake"), data)
    assert response.status_code == 200
    assert "1989年4月1日より前の日付は入力できません" in response.content.decode()
    assert not Case.objects.exists()


def test_an_old_dated_ledger_is_refused_at_the_preview(login, counselor) -> None:
    old = dt.date(1026, 5, 1)
    response = upload(login(counselor), ledger(row(**{"受理日": old, "相談日": old})))
    assert response.status_code == 400
    assert "1989年4月1日より前の日付は入力できません" in response.content.decode()
    assert "token" not in response.context
