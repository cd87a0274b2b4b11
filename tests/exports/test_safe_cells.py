"""Formula payloads are written as plain text and read back as the same text."""

import datetime as dt
import decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from cases.models import Consultation
from exports.excel import Column, Labels, SafeSheet, new_workbook, write_table

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "a\r\nb",
    "普通の文章",
    "",
]


def roundtrip(tmp_path, values):  # type: ignore[no-untyped-def]
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    sheet.append(values)
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    return load_workbook(path)["t"][1]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_reads_back_as_the_same_text_never_a_formula(tmp_path, payload: str) -> None:
    (cell,) = roundtrip(tmp_path, [payload])
    if payload == "":
        assert cell.value in ("", None)
        return
    assert cell.value == payload
    assert cell.data_type == "s"


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p and p[0] in "=+-@\t\r\n＝"])
def test_formula_like_text_is_quote_prefixed(tmp_path, payload: str) -> None:
    (cell,) = roundtrip(tmp_path, [payload])
    assert cell.quotePrefix is True


def test_numbers_and_dates_keep_their_types(tmp_path) -> None:
    values = [42, 3.5, decimal.Decimal("1.25"), dt.date(2023, 4, 1), dt.datetime(2023, 4, 1, 9, 30)]
    cells = roundtrip(tmp_path, values)
    assert [c.data_type for c in cells] == ["n", "n", "n", "d", "d"]
    assert cells[0].value == 42
    assert cells[3].value == dt.datetime(2023, 4, 1)
    assert cells[3].number_format == "yyyy/mm/dd"


def test_control_characters_are_replaced_not_fatal(tmp_path) -> None:
    (cell,) = roundtrip(tmp_path, ["a\x00b\x07c"])
    assert cell.value == "a\ufffdb\ufffdc"


def test_a_table_has_a_frozen_filtered_header_and_print_setup(tmp_path) -> None:
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    columns = [Column("番号", "a", 12), Column("日付", "b", 14), Column("内容", "c", 40)]
    rows = [("1", dt.date(2023, 4, 1), "=危険"), ("2", dt.date(2023, 4, 2), "安全")]
    assert write_table(sheet, columns, rows) == 2
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    ws = load_workbook(path)["t"]
    assert [c.value for c in ws[1]] == ["番号", "日付", "内容"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C1"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)  # 9 = A4
    assert ws.column_dimensions["C"].width == 40
    assert ws["C2"].value == "=危険" and ws["C2"].data_type == "s"


def test_labels_resolved_once_show_the_same_as_per_cell() -> None:
    labels = Labels(Consultation.Method.choices)
    show = labels.resolved()
    for value in ["visit", "phone", "unknown", 7, None]:
        assert show(value) == labels(value)
    assert show("visit") == "来所"
    assert show(7) == "7"
    assert show(None) is None


def test_labels_are_resolved_in_the_language_active_when_the_table_is_written(tmp_path) -> None:
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    columns = [Column("方法", "method", display=Labels(Consultation.Method.choices))]
    with translation.override("en"):
        write_table(sheet, columns, [("phone",), ("home_visit",), ("gone",), (None,)])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    ws = load_workbook(path)["t"]
    assert [ws.cell(row, 1).value for row in range(2, 6)] == [
        "Phone",
        "Home visit (outreach)",
        "gone",
        None,
    ]
