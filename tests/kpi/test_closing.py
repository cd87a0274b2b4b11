"""年度確定: a closed year keeps its reported figures; a recount that differs shows the
difference and the records behind it; closing and reopening are audited and restricted."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from audit.models import AuditEvent
from kpi.closing import changes_since
from kpi.models import YearClosing
from kpi.scopes import prefecture_scope, scope_from_token
from kpi.services import year_close, year_reopen
from tests.kpi.helpers import case_in, link, report

pytestmark = pytest.mark.django_db

K1 = "new_consultations"
K3 = "ibasho_links"


@pytest.fixture
def closed_2023(center):
    case_in(intake=dt.date(2023, 5, 1))
    case_in(intake=dt.date(2023, 9, 1))
    link(connected=dt.date(2023, 7, 1))
    return year_close(fiscal_year=2023, scope=prefecture_scope("39"), user=center)


def test_closing_stores_the_whole_year_with_who_and_when(closed_2023, center) -> None:
    closing = YearClosing.objects.get()
    assert closing.closed_by == center and closing.closed_by_name == "center"
    assert closing.figures["indicators"][K1]["value"] == 2
    assert closing.figures["indicators"][K3]["value"] == 1
    assert closing.figures["as_of"] == "2024-03-31"
    by_code = {row["code"]: row for row in closing.figures["areas"]}
    assert by_code["392014"]["new_consultations"] == 2
    assert "platforms" in closing.figures["secondary"]
    event = AuditEvent.objects.get(object_type="kpi.yearclosing", action="create")
    assert event.user == center and event.filters == {"fy": 2023, "scope": "pref"}


def test_a_closed_year_keeps_its_value_and_shows_the_late_entry(closed_2023, counselor) -> None:
    late = case_in(intake=dt.date(2023, 12, 1), created_by=counselor)
    result = report(2023)
    k1 = result.indicator(K1)
    assert (k1.value, k1.closed, k1.reported, k1.recounted) == (2, True, 2, 3)
    assert k1.recount_difference == 1
    assert result.closing is not None and result.closing.differs
    labels = {d.label: (d.reported, d.recounted) for d in result.closing.differences}
    assert labels["新規相談件数"] == (2, 3)
    assert labels["高知市: 新規相談件数"] == (2, 3)
    [change] = result.closing.changes
    assert (change.object_type, change.pk, change.kind, change.by) == (
        "cases.case",
        late.pk,
        "確定後に登録",
        "counselor",
    )
    # The table by municipality is the reported one.
    kochi = next(row for row in result.areas if row.code == "392014")
    assert kochi.new_consultations == 2


def test_a_record_changed_after_closing_is_listed_with_its_writer(closed_2023, admin_user):
    from audit.services import Action, audit_record
    from cases.models import Case

    case = Case.objects.get(intake_date=dt.date(2023, 5, 1))
    case.save()  # an edit after the closing: updated_at moves
    audit_record(action=Action.UPDATE, user=admin_user, obj=case, changed_fields=["age_band"])
    changes = changes_since(closed_2023, prefecture_scope("39"), *_fy(2023))
    assert [(c.pk, c.kind, c.by) for c in changes] == [(case.pk, "確定後に変更", "admin")]


def _fy(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def test_no_difference_no_reasons_queried(closed_2023) -> None:
    result = report(2023)
    assert result.closing is not None and not result.closing.differs
    assert result.closing.changes == []


def test_as_of_inside_the_year_still_counts_as_of_that_date(closed_2023) -> None:
    case_in(intake=dt.date(2023, 10, 1))  # late, before the date
    result = report(2023, as_of=dt.date(2023, 12, 31))
    k1 = result.indicator(K1)
    assert (k1.value, k1.closed) == (3, False)
    assert result.closing is None


def test_json_carries_closed_reported_and_recounted(closed_2023) -> None:
    case_in(intake=dt.date(2023, 12, 1))
    out = StringIO()
    call_command("kpi_report", "--fy", "2023", "--json", stdout=out)
    data = json.loads(out.getvalue())
    k1 = next(i for i in data["indicators"] if i["key"] == K1)
    assert (k1["value"], k1["closed"], k1["reported"], k1["recounted"]) == (2, True, 2, 3)
    assert data["closed"] is True
    assert data["closing"]["closed_by"] == "center"
    assert data["closing"]["changes"][0]["change"] == "確定後に登録"
    open_year = json.loads(_json("--fy", "2022"))
    k1 = next(i for i in open_year["indicators"] if i["key"] == K1)
    assert (k1["closed"], k1["reported"], k1["recounted"]) == (False, None, k1["value"])


def _json(*args: str) -> str:
    out = StringIO()
    call_command("kpi_report", *args, "--json", stdout=out)
    return out.getvalue()


def test_the_comparison_shows_a_closed_past_year_as_reported(closed_2023) -> None:
    case_in(intake=dt.date(2024, 1, 10))
    row = next(y for y in report(2024).comparison if y.fiscal_year == 2023)
    assert row.closed
    cell = next(c for c in row.rows() if c.key == K1)
    assert (cell.value, cell.recounted, cell.difference) == (2, 3, 1)


def test_a_year_is_closed_only_after_its_end(center) -> None:
    from core.fiscal import current_fiscal_year

    with pytest.raises(ValidationError, match="年度末"):
        year_close(fiscal_year=current_fiscal_year(), scope=prefecture_scope("39"), user=center)
    assert not YearClosing.objects.exists()


def test_closing_twice_is_refused(closed_2023, center) -> None:
    with pytest.raises(ValidationError, match="すでに確定"):
        year_close(fiscal_year=2023, scope=prefecture_scope("39"), user=center)


@pytest.mark.parametrize("role", ["counselor", "prefecture_staff"])
def test_only_the_centre_and_admins_close(request, kochi, role: str) -> None:
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        year_close(fiscal_year=2023, scope=prefecture_scope("39"), user=user)


def test_the_national_scope_is_never_closed(center) -> None:
    with pytest.raises(ValidationError):
        year_close(fiscal_year=2023, scope=scope_from_token("all"), user=center)


def test_reopening_is_an_audited_admin_action_with_a_reason(closed_2023, center, admin_user):
    scope = prefecture_scope("39")
    with pytest.raises(PermissionDenied):
        year_reopen(fiscal_year=2023, scope=scope, reason="訂正", user=center)
    with pytest.raises(ValidationError):
        year_reopen(fiscal_year=2023, scope=scope, reason=" ", user=admin_user)
    closing = year_reopen(fiscal_year=2023, scope=scope, reason="台帳の訂正", user=admin_user)
    assert closing.reopened_by == admin_user and closing.reopen_reason == "台帳の訂正"
    assert report(2023).closing is None
    event = AuditEvent.objects.filter(object_type="kpi.yearclosing", action="update").get()
    assert (event.user, event.reason) == (admin_user, "台帳の訂正")
    # Closed again: a new row; the reopened one stays as history.
    year_close(fiscal_year=2023, scope=scope, user=center)
    assert YearClosing.objects.count() == 2


def test_dashboard_shows_the_reported_value_and_the_recount(login, closed_2023, center) -> None:
    case_in(intake=dt.date(2023, 12, 1))
    html = login(center).get("/kpi/", {"fy": "2023", "scope": "pref"}).content.decode()
    assert "確定済み" in html and "確定値" in html
    assert "再集計 3（差 +1）" in html
    assert "確定後に登録" in html
    assert 'id="charts-recount"' in html  # the monthly charts say they are today's recount
    assert "確定を取り消す" not in html  # admins only


def test_a_closed_year_without_a_difference_has_no_recount_note(login, closed_2023, center):
    html = login(center).get("/kpi/", {"fy": "2023", "scope": "pref"}).content.decode()
    assert "確定済み" in html and 'id="charts-recount"' not in html


def test_dashboard_close_button_closes_the_year(login, center, kochi) -> None:
    case_in(intake=dt.date(2023, 5, 1))
    client = login(center)
    html = client.get("/kpi/", {"fy": "2023", "scope": "pref"}).content.decode()
    assert "を確定する" in html
    response = client.post("/kpi/close/", {"fy": "2023", "scope": "pref"})
    assert response.status_code == 302
    assert YearClosing.objects.get().fiscal_year == 2023


def test_closing_an_unseen_scope_is_refused_and_audited(login, counselor, center) -> None:
    client = login(center)
    response = client.post("/kpi/close/", {"fy": "2023", "scope": "pref-13"})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", user=center).exists()
    assert not YearClosing.objects.exists()


def test_admin_reopens_from_the_dashboard(login, closed_2023, admin_user) -> None:
    client = login(admin_user)
    html = client.get("/kpi/", {"fy": "2023", "scope": "pref"}).content.decode()
    assert "確定を取り消す" in html
    client.post("/kpi/reopen/", {"fy": "2023", "scope": "pref", "reason": "訂正"})
    assert YearClosing.objects.get().reopened_at is not None


def _cells(result) -> list[str]:
    import io

    from openpyxl import load_workbook

    from kpi.workbook import kpi_workbook

    buffer = io.BytesIO()
    kpi_workbook(result).save(buffer)
    buffer.seek(0)
    sheet = load_workbook(buffer).worksheets[0]
    return [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


def test_the_workbook_shows_the_reported_value_the_difference_and_its_reasons(closed_2023):
    late = case_in(intake=dt.date(2023, 12, 1))
    cells = _cells(report(2023))
    assert "年度確定" in cells
    assert "確定値と再集計の差" in cells
    assert f"ケース #{late.pk}" in cells
    assert any("就労開始日以前（同じ日を含む）" in c for c in cells)  # the K4 rule


def test_the_workbook_of_a_year_without_data_reads_no_data(kochi) -> None:
    case_in(intake=dt.date(2022, 5, 1))
    cells = _cells(report(2020))
    assert cells.count("データなし") == 4


def test_a_closed_year_keeps_its_value_and_shows_the_void(closed_2023, center) -> None:
    from cases.models import Case
    from cases.services import case_void

    case = Case.objects.get(intake_date=dt.date(2023, 9, 1))
    case_void(user=center, case=case, reason="二重に受理したため")
    result = report(2023)
    k1 = result.indicator(K1)
    assert (k1.value, k1.closed, k1.reported, k1.recounted) == (2, True, 2, 1)
    [change] = result.closing.changes
    assert (change.pk, change.kind, change.by) == (case.pk, "確定後に取消", "center")


def test_a_connection_undone_after_closing_is_listed_as_a_reason(center, counselor) -> None:
    """The undone referral has no connection date any more, so its voided 「つながった」 step
    is what names the change."""
    from referrals.services import referral_connect, referral_step_undo

    referral = link(connected=None)
    referral = referral_connect(
        referral=referral, on=dt.date(2023, 7, 1), version=referral.version, user=counselor
    )
    year_close(fiscal_year=2023, scope=prefecture_scope("39"), user=center)
    referral_step_undo(
        referral=referral, version=referral.version, reason="別の人の記録だったため", user=center
    )
    result = report(2023)
    k3 = result.indicator(K3)
    assert (k3.reported, k3.recounted) == (1, 0)
    [change] = result.closing.changes
    assert (change.object_type, change.kind, change.by, change.date) == (
        "referrals.referraltransition",
        "確定後に取消",
        "center",
        dt.date(2023, 7, 1),
    )
