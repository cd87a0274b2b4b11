"""The KPI report workbook: its figures equal `kpi_report`'s, its layout, publication mode,
the download view and the `export_kpi_workbook` command."""

import datetime as dt
import io
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from audit.models import AuditEvent
from kpi.selectors import Report
from kpi.suppression import SECONDARY_MARK, group_is_safe, suppress
from kpi.workbook import (
    SHEET_MONTHLY,
    SHEET_MUNICIPALITIES,
    SHEET_SECONDARY,
    SHEET_SUMMARY,
    kpi_workbook,
)
from tests.factories import CaseMeetingFactory, ConsultationFactory
from tests.kpi.helpers import case_in, employment, link, muni, report

pytestmark = pytest.mark.django_db

URL = reverse("kpi:workbook")
AS_OF = dt.date(2023, 12, 31)
KOCHI, MUROTO, AKI, NANKOKU = "392014", "392022", "392031", "392049"
KEYS = [
    "new_consultations",
    "municipalities_with_case_meetings",
    "ibasho_links",
    "employed_after_intermediate",
]


def make_records() -> None:
    """Kochi City busy (12 new cases), Muroto small (2), Aki (6), Nankoku (1, no meeting)."""
    for code, n in ((KOCHI, 12), (MUROTO, 2), (AKI, 6), (NANKOKU, 1)):
        for i in range(n):
            case = case_in(code, intake=dt.date(2023, 4 + i % 8, 1 + i))
            ConsultationFactory(case=case, date=case.intake_date)
            if i % 2 == 0:
                link(case=case, connected=case.intake_date)
            if i == 0:
                employment(case, case.intake_date)
    for code, day in (
        (KOCHI, dt.date(2023, 5, 10)),
        (KOCHI, dt.date(2023, 9, 1)),
        (MUROTO, dt.date(2023, 7, 1)),
        (AKI, dt.date(2023, 8, 1)),
    ):
        CaseMeetingFactory(municipality=muni(code), held_on=day)


def read(rep: Report, public: bool = False, threshold: int = 5) -> Any:
    buffer = io.BytesIO()
    kpi_workbook(rep, public=public, threshold=threshold).save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def rows(ws: Worksheet) -> list[tuple[Any, ...]]:
    return [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


def table(ws: Worksheet, header_row: int, first_title: str) -> list[tuple[Any, ...]]:
    """The data rows under a header, up to the first empty row."""
    assert ws.cell(header_row, 1).value == first_title
    result = []
    for r in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if r[0] is None:
            break
        result.append(r)
    return result


@pytest.fixture
def data(kochi) -> None:
    make_records()


# --- figures ---------------------------------------------------------------------------------


def test_summary_figures_equal_kpi_report(data) -> None:
    rep = report(2023, "pref", AS_OF)
    ws = read(rep)[SHEET_SUMMARY]
    text = [r[0] for r in rows(ws)]
    assert ws["B4"].value == "令和5年度（2023年度）"
    assert ws["B5"].value == "高知県"
    assert ws["B6"].value.date() == AS_OF
    assert "令和5年度（2023年度）" in ws["A2"].value
    indicators = table(ws, 8, "指標")
    assert len(indicators) == 4
    for row, ind in zip(indicators, rep.indicators, strict=True):
        assert row[0] == ind.label
        assert row[1] == ind.value
        assert row[3] == ind.target
        assert row[4] == pytest.approx(ind.share / 100)
        assert row[5] == ind.projected
        assert row[6] == ind.status_label
    assert [r[1] for r in indicators] == [21, 3, 11, 4]
    assert any("受理日が年度内" in t for t in text)  # the counting rules are noted
    assert any("達成: 実績が目標以上" in t for t in text)


def test_municipality_sheet_equals_kpi_report(data) -> None:
    rep = report(2023, "pref", AS_OF)
    ws = read(rep)[SHEET_MUNICIPALITIES]
    body = table(ws, 3, "市町村コード")
    assert len(body) == 35  # 34 municipalities and the total
    munis, total = body[:-1], body[-1]
    assert [r[0] for r in munis] == [m.code for m in rep.municipalities]
    for row, m in zip(munis, rep.municipalities, strict=True):
        assert row[1] == m.name
        assert row[3] == ("実施" if m.meeting_held else "未実施")
        assert (row[4], row[5], row[6], row[7]) == (
            m.meetings,
            m.new_consultations,
            m.ibasho_links,
            m.employed,
        )
    # Municipalities without a meeting come first.
    held = [r[3] for r in munis]
    assert held == sorted(held, key=lambda v: v == "実施")
    assert munis[-1][3] == "実施" and munis[0][3] == "未実施"
    by_key = rep.by_key
    assert total[0] == "合計"
    assert total[5] == by_key["new_consultations"].value == 21
    assert total[6] == by_key["ibasho_links"].value
    assert total[7] == by_key["employed_after_intermediate"].value
    assert total[3] == "3 / 34 市町村"


def test_monthly_sheet_has_running_totals_and_targets(data) -> None:
    rep = report(2023, "pref", AS_OF)
    ws = read(rep)[SHEET_MONTHLY]
    body = table(ws, 3, "月")
    months, total = body[:12], body[12]
    for n, row in enumerate(months):
        assert row[0].date() == rep.indicators[0].monthly[n].month
        for i, ind in enumerate(rep.indicators):
            point = ind.monthly[n]
            assert row[1 + 3 * i : 4 + 3 * i] == (point.added, point.cumulative, ind.target)
    assert months[11][1] is None  # March 2024 is after the report date
    assert total[0] == "年度計"
    assert [total[1 + 3 * i] for i in range(4)] == [ind.value for ind in rep.indicators]


def test_secondary_sheet_equals_kpi_report(data) -> None:
    rep = report(2023, "pref", AS_OF)
    ws = read(rep)[SHEET_SECONDARY]
    figures = {r[0]: r[1] for r in table(ws, 3, "項目")}
    s = rep.secondary
    assert figures["プラットフォームを設置した市町村"] == s.platforms
    assert figures["ケース会議の開催回数"] == s.meetings == 4
    assert figures["活動中の居場所等"] == s.ibasho_active
    consultations = {r[0]: r[1:3] for r in rows(ws) if r[0] in ("合計", "来所", "電話")}
    assert consultations["合計"] == (s.consultations.contacts, s.consultations.persons)


def test_jurisdiction_scope_lists_its_municipalities(data, kochi) -> None:
    from core.models import Jurisdiction

    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    rep = report(2023, str(aki.pk), AS_OF)
    wb = read(rep)
    assert wb[SHEET_SUMMARY]["B5"].value == "安芸福祉保健所"
    assert len(table(wb[SHEET_MUNICIPALITIES], 3, "市町村コード")) == 9 + 1


# --- layout ----------------------------------------------------------------------------------


def test_sheets_headers_and_print_layout(data) -> None:
    wb = read(report(2023, "pref", AS_OF))
    assert wb.sheetnames == ["概要", "市町村別", "月別", "副次指標", "県の取組"]
    headers = {
        SHEET_SUMMARY: (8, ["指標", "実績", "単位", "目標", "達成率", "年度末の見込み"]),
        SHEET_MUNICIPALITIES: (3, ["市町村コード", "市町村", "管轄", "ケース会議"]),
        SHEET_MONTHLY: (3, ["月", "新規相談 当月", "新規相談 累計", "新規相談 目標"]),
        SHEET_SECONDARY: (3, ["項目", "実績", "単位"]),
    }
    for name, (header_row, titles) in headers.items():
        ws = wb[name]
        assert [c.value for c in ws[header_row][: len(titles)]] == titles
        assert ws[header_row][0].font.bold
        assert ws.freeze_panes == f"A{header_row + 1}"
        assert ws.auto_filter.ref.startswith(f"A{header_row}:")
        assert ws.print_title_rows == f"$1:${header_row}"
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.column_dimensions["A"].width >= 11
    assert wb[SHEET_MUNICIPALITIES].auto_filter.ref == "A3:I37"
    assert wb[SHEET_SUMMARY]["A1"].font.sz == 14


def test_number_formats(data) -> None:
    wb = read(report(2023, "pref", AS_OF))
    summary = wb[SHEET_SUMMARY]
    assert summary["B9"].number_format == "#,##0"
    assert summary["E9"].number_format == "0.0%"
    assert wb[SHEET_MUNICIPALITIES]["F4"].number_format == "#,##0"
    assert wb[SHEET_MONTHLY]["A4"].number_format == 'yyyy"年"m"月"'
    assert wb[SHEET_MONTHLY]["C4"].number_format == "#,##0"


# --- publication mode ------------------------------------------------------------------------


def test_public_mode_hides_small_counts_and_keeps_zeros(data) -> None:
    rep = report(2023, "pref", AS_OF)
    ws = read(rep, public=True)[SHEET_MUNICIPALITIES]
    assert "公表用" in ws["A1"].value
    body = {r[0]: r for r in table(ws, 3, "市町村コード")[:-1]}
    assert body[KOCHI][5] == 12  # 5 or more: shown
    assert body[MUROTO][5] == "<5"  # 2 new cases
    assert body[NANKOKU][5] == "<5"  # 1 new case
    assert body["392057"][5] == 0  # 土佐市: none, and zero stays 0
    assert body[KOCHI][4] == "<5"  # two meetings
    assert all(v != 1 and v != 2 for r in body.values() for v in r[4:8])


def test_a_single_small_cell_triggers_a_second_suppression() -> None:
    column = suppress([12, 3, 7, 0, 20], threshold=5)
    assert [column.cell(i) for i in range(5)] == [12, "<5", SECONDARY_MARK, 0, 20]
    assert column.shown_total() == 42


def test_single_small_cell_in_the_workbook_hides_the_smallest_other_cell(kochi) -> None:
    for code, n in ((KOCHI, 9), (MUROTO, 2), (AKI, 6)):
        for i in range(n):
            case_in(code, intake=dt.date(2023, 5, 1 + i))
    rep = report(2023, "pref", AS_OF)
    body = {r[0]: r for r in table(read(rep, public=True)[SHEET_MUNICIPALITIES], 3, "市町村コード")}
    assert body[MUROTO][5] == "<5"
    assert body[AKI][5] == SECONDARY_MARK  # the smallest non-zero cell left: 6, not 9
    assert body[KOCHI][5] == 9
    total = table(read(rep, public=True)[SHEET_MUNICIPALITIES], 3, "市町村コード")[-1]
    assert total[5] == 17


def test_threshold_is_a_setting(data, settings, tmp_path) -> None:
    settings.KPI_PUBLIC_SUPPRESS_BELOW = 3
    out = tmp_path / "r.xlsx"
    call_command(
        "export_kpi_workbook", "--fy", "2023", "--as-of", "2023-12-31", "--public",
        "--out", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    ws = load_workbook(out)[SHEET_MUNICIPALITIES]
    body = {r[0]: r for r in table(ws, 3, "市町村コード")[:-1]}
    assert body[MUROTO][5] == "<3"
    assert body[AKI][5] == 6


def _suppressed(value: Any) -> bool:
    return isinstance(value, str)


def _cell_bounds(value: Any, threshold: int) -> tuple[int, int] | None:
    if value == f"<{threshold}":
        return (1, threshold - 1)
    if value == SECONDARY_MARK:
        return (threshold, 10**6)
    return None


def test_no_total_recovers_a_suppressed_value_in_the_workbook(data) -> None:
    """For every column with a shown total, 0 or at least 2 hidden cells, and no hidden cell
    pinned down by the total and the shown cells."""
    rep = report(2023, "pref", AS_OF)
    wb = read(rep, public=True)
    body = table(wb[SHEET_MUNICIPALITIES], 3, "市町村コード")
    munis, total = body[:-1], body[-1]
    raw = {
        4: [m.meetings for m in rep.municipalities],
        5: [m.new_consultations for m in rep.municipalities],
        6: [m.ibasho_links for m in rep.municipalities],
        7: [m.employed for m in rep.municipalities],
    }
    checked = 0
    for col, values in raw.items():
        if _suppressed(total[col]):
            continue
        cells = [r[col] for r in munis]
        hidden = {
            i: "primary" if c == "<5" else "secondary"
            for i, c in enumerate(cells)
            if _suppressed(c)
        }
        assert len(hidden) != 1
        assert group_is_safe(values, hidden, 5)
        checked += 1
    monthly = table(wb[SHEET_MONTHLY], 3, "月")
    for i, ind in enumerate(rep.indicators):
        if ind.key == "municipalities_with_case_meetings" or _suppressed(monthly[12][1 + 3 * i]):
            continue
        cells = [r[1 + 3 * i] for r in monthly[:12]]
        assert sum(_suppressed(c) for c in cells) != 1
        checked += 1
    assert checked >= 4


def _possible_values(
    published: list[Any], running: list[Any], total: Any, threshold: int
) -> list[set[int]]:
    """Brute force: every column consistent with what is published; the values each hidden
    cell can take. An independent check of `kpi.suppression`."""
    n = len(published)
    ranges = []
    ceiling = total if isinstance(total, int) else 60
    for value in published:
        bounds = _cell_bounds(value, threshold)
        ranges.append([value] if bounds is None else range(bounds[0], min(bounds[1], ceiling) + 1))
    seen: list[set[int]] = [set() for _ in range(n)]
    for combo in itertools.product(*ranges):
        if isinstance(total, int) and sum(combo) != total:
            continue
        if total == f"<{threshold}" and not 0 < sum(combo) < threshold:
            continue
        ok = True
        acc = 0
        for i in range(n):
            acc += combo[i]
            shown = running[i] if running else None
            # A hidden running total ("x") says nothing: it is used whatever the size.
            ok = not (
                (isinstance(shown, int) and acc != shown)
                or (shown == f"<{threshold}" and not 0 < acc < threshold)
            )
            if not ok:
                break
        if ok:
            for i, v in enumerate(combo):
                seen[i].add(v)
    return seen


@pytest.mark.parametrize("running_totals", [False, True])
def test_no_published_column_lets_a_reader_work_out_a_hidden_value(running_totals) -> None:
    """Random columns, checked by enumerating every column consistent with the published
    cells, running totals and total: each hidden cell keeps at least two possible values."""
    rng = random.Random(7)
    threshold = 5
    cases = [[1, 1, 1, 1], [0, 1, 1, 1, 1], [1, 1, 1]]  # four ones: "<5" gives them away
    for _n in range(150):
        cases.append(
            [rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 11]) for _ in range(rng.randint(1, 5))]
        )
    for values in cases:
        column = suppress(values, threshold=threshold, running_totals=running_totals)
        published = [column.cell(i) for i in range(len(values))]
        running = [column.running(i) for i in range(len(values))] if running_totals else []
        total = column.shown_total()
        hidden = [i for i, v in enumerate(published) if _suppressed(v)]
        if isinstance(total, int):
            assert len(hidden) != 1, values
        possible = _possible_values(published, running, total, threshold)
        for i in hidden:
            assert values[i] in possible[i]
            assert len(possible[i]) >= 2, (values, published, running, total)
        for i, v in enumerate(values):
            if v == 0:
                assert published[i] == 0


def test_public_summary_hides_small_values_with_their_share(kochi) -> None:
    case_in(KOCHI, intake=dt.date(2023, 5, 1))
    employment(case_in(KOCHI, intake=dt.date(2022, 5, 1)), dt.date(2023, 6, 1))
    rep = report(2023, "pref", AS_OF)
    indicators = table(read(rep, public=True)[SHEET_SUMMARY], 8, "指標")
    assert indicators[0][1] == "<5"
    assert indicators[0][4] is None and indicators[0][5] is None
    assert indicators[1][1] == 0  # no meeting: 0 stays 0
    internal = table(read(rep)[SHEET_SUMMARY], 8, "指標")
    assert internal[0][1] == 1


# --- the download view -----------------------------------------------------------------------


def test_counselor_downloads_their_scope_with_headers_and_one_audit_row(
    data, login, counselor
) -> None:
    AuditEvent.objects.all().delete()
    response = login(counselor).get(URL, {"fy": "2023", "scope": KOCHI, "as_of": "2023-12-31"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rep = report(2023, KOCHI, AS_OF)
    indicators = table(wb[SHEET_SUMMARY], 8, "指標")
    assert [r[1] for r in indicators] == [ind.value for ind in rep.indicators]
    assert wb[SHEET_SUMMARY]["B5"].value == "高知市"
    events = AuditEvent.objects.filter(action="export")
    assert events.count() == 1
    event = events.get()
    assert event.object_type == "kpi.workbook"
    assert event.username == counselor.username
    assert event.filters == {"fy": 2023, "scope": KOCHI, "as_of": "2023-12-31", "public": False}


@pytest.mark.parametrize("scope", [MUROTO, "pref"])
def test_scope_outside_the_users_is_404_and_audited(data, login, counselor, scope) -> None:
    response = login(counselor).get(URL, {"fy": "2023", "scope": scope})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="kpi.scope").count() == 1
    assert not AuditEvent.objects.filter(action="export").exists()


def test_prefecture_staff_download_the_prefecture_in_public_mode(
    data, login, prefecture_staff
) -> None:
    response = login(prefecture_staff).get(
        URL, {"fy": "2023", "as_of": "2023-12-31", "public": "1"}
    )
    assert response.status_code == 200
    assert "%E5%85%AC%E8%A1%A8%E7%94%A8" in response["Content-Disposition"]  # 公表用
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb[SHEET_SUMMARY]["B5"].value == "高知県"
    assert "公表用" in wb[SHEET_SUMMARY]["A1"].value
    assert AuditEvent.objects.get(action="export").filters["public"] is True


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302


def test_bad_year_or_date_is_404(login, prefecture_staff) -> None:
    client = login(prefecture_staff)
    assert client.get(URL, {"fy": "1999"}).status_code == 404
    assert client.get(URL, {"fy": "2023", "as_of": "2022-01-01"}).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_dashboard_links_to_both_workbooks_for_the_chosen_report(login, prefecture_staff) -> None:
    html = (
        login(prefecture_staff)
        .get(reverse("kpi:dashboard"), {"fy": "2023", "scope": MUROTO, "as_of": "2023-12-31"})
        .content.decode()
    )
    query = f"fy=2023&amp;scope={MUROTO}&amp;as_of=2023-12-31"
    assert f'href="{URL}?{query}"' in html
    assert f'href="{URL}?{query}&amp;public=1"' in html
    assert "Excelで出力" in html and "公表用Excelで出力" in html


# --- the command -----------------------------------------------------------------------------


def test_command_writes_the_same_figures(data, tmp_path: Path) -> None:
    out = tmp_path / "kpi.xlsx"
    stdout = io.StringIO()
    call_command(
        "export_kpi_workbook", "--fy", "2023", "--scope", KOCHI, "--as-of", "2023-12-31",
        "--out", str(out), stdout=stdout,
    )  # fmt: skip
    assert str(out) in stdout.getvalue()
    wb = load_workbook(out)
    rep = report(2023, KOCHI, AS_OF)
    assert [r[1] for r in table(wb[SHEET_SUMMARY], 8, "指標")] == [i.value for i in rep.indicators]
    munis = table(wb[SHEET_MUNICIPALITIES], 3, "市町村コード")
    assert munis[0][:2] == (KOCHI, "高知市")
    assert munis[0][5] == rep.municipalities[0].new_consultations == 12
    assert not list(tmp_path.glob(".*partial"))
    event = AuditEvent.objects.get(action="export", object_type="kpi.workbook")
    assert event.filters["command"] == "export_kpi_workbook"


def test_command_rejects_bad_scope_and_output(kochi, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="登録されていません"):
        call_command(
            "export_kpi_workbook",
            "--fy",
            "2023",
            "--scope",
            "131016",
            "--out",
            str(tmp_path / "a.xlsx"),
        )
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("export_kpi_workbook", "--fy", "2023", "--out", str(tmp_path / "a.csv"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "export_kpi_workbook", "--fy", "2023", "--out", str(tmp_path / "no" / "a.xlsx")
        )


def test_a_total_that_would_give_cells_away_is_hidden_on_every_sheet(kochi) -> None:
    """Five municipalities with one person each: five "<5" cells adding up to 5 can only be
    ones, so the total is hidden too, in the summary and the monthly sheet as well."""
    for n, code in enumerate((KOCHI, MUROTO, AKI, NANKOKU, "392057")):
        employment(case_in(code, intake=dt.date(2022, 5, 1)), dt.date(2023, 5 + n, 1))
    rep = report(2023, "pref", AS_OF)
    assert rep.indicator("employed_after_intermediate").value == 5
    wb = read(rep, public=True)
    munis = table(wb[SHEET_MUNICIPALITIES], 3, "市町村コード")
    assert sum(r[7] == "<5" for r in munis[:-1]) == 5
    assert munis[-1][7] == SECONDARY_MARK
    summary = table(wb[SHEET_SUMMARY], 8, "指標")
    assert summary[3][1] == SECONDARY_MARK and summary[3][4] is None
    monthly = table(wb[SHEET_MONTHLY], 3, "月")
    assert monthly[12][10] == SECONDARY_MARK
    assert 5 not in [r[11] for r in monthly[:12]]  # no running total gives the year away


def test_sheet_names_follow_the_language(data) -> None:
    from django.utils import translation

    rep = report(2023, "pref", AS_OF)
    assert read(rep).sheetnames == ["概要", "市町村別", "月別", "副次指標", "県の取組"]
    with translation.override("en"):
        assert read(rep).sheetnames == [
            "Summary",
            "By municipality",
            "By month",
            "Other figures",
            "Prefecture programme",
        ]
