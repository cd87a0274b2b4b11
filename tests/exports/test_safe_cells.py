"""Formula payloads are written as plain text and read back as the same text."""

import datetime as dt
import decimal

import pytest
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from cases.models import Consultation
from core.excel import (
    FORMULA_TRIGGERS,
    Column,
    Labels,
    SafeSheet,
    clean_text,
    new_workbook,
    write_table,
)

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


def roundtrip(tmp_path, values):
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


def reference_cell(ws, value, number_format=None):
    """SafeSheet.cell as it was before its per-type fast path: the rules it must keep."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = clean_text(value)
        if text.startswith(FORMULA_TRIGGERS):
            cell = WriteOnlyCell(ws)
            cell._value = text
            cell.data_type = "s"
            cell.quotePrefix = True
            return cell
        return text
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format or "yyyy/mm/dd hh:mm"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format or "yyyy/mm/dd"
        return cell
    if number_format:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return value


def described(value):
    if not isinstance(value, Cell):
        return ("plain", type(value), value)
    return ("cell", value._value, value.data_type, value.number_format, value.quotePrefix)


class Tag(str):
    pass


VALUES = [
    None,
    True,
    False,
    0,
    42,
    -7,
    3.5,
    decimal.Decimal("1.25"),
    dt.date(2023, 4, 1),
    dt.datetime(2023, 4, 1, 9, 30),
    dt.datetime(2023, 4, 1, 0, 30, tzinfo=dt.UTC),
    dt.time(9, 30),
    "",
    "普通の文章",
    "全角　スペース",
    "a\r\nb",
    "a\x00b\x07c\x1f",
    "\x0b=1+1",
    "=1+1",
    "-1",
    "＠x",
    "\t=1",
    "del\x7f",
    mark_safe("=1+1"),
    Tag("+1"),
    Tag("a\x01"),
]


@pytest.mark.parametrize("number_format", [None, "#,##0", "yyyy/mm/dd", "0.0%"])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_every_type_is_written_as_before_the_fast_path(value, number_format) -> None:
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    assert described(sheet.cell(value, number_format)) == described(
        reference_cell(sheet.ws, value, number_format)
    )


def test_styled_cells_are_each_their_own(tmp_path) -> None:
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    first, second = sheet.cell(dt.date(2023, 4, 1)), sheet.cell(dt.date(2023, 4, 2))
    first.font = Font(bold=True)
    assert not second.font.bold
    quoted, other = sheet.cell("=a"), sheet.cell("=b")
    quoted.font = Font(italic=True)
    assert not other.font.italic and other.quotePrefix


def test_a_table_keeps_formats_labels_and_safety_on_every_row(tmp_path) -> None:
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    columns = [
        Column("日付", "a"),
        Column("日時", "b"),
        Column("件数", "c", number_format="#,##0"),
        Column("方法", "d", display=Labels(Consultation.Method.choices)),
        Column("メモ", "e"),
    ]
    rows = [
        (dt.date(2023, 4, i), dt.datetime(2023, 4, i, 9), 1000 * i, "phone", f"=x{i}\x01")
        for i in range(1, 4)
    ]
    seen = []
    assert write_table(sheet, columns, iter(rows), progress=seen.append, every=2) == 3
    assert seen == [2, 3]
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    ws = load_workbook(path)["t"]
    for i, row in enumerate(ws.iter_rows(min_row=2), start=1):
        date, when, count, method, memo = row
        assert (date.value, date.number_format) == (dt.datetime(2023, 4, i), "yyyy/mm/dd")
        assert (when.value, when.number_format) == (dt.datetime(2023, 4, i, 9), "yyyy/mm/dd hh:mm")
        assert (count.value, count.number_format) == (1000 * i, "#,##0")
        assert method.value == "電話"
        assert (memo.value, memo.data_type, memo.quotePrefix) == (f"=x{i}\ufffd", "s", True)


def test_a_row_of_the_wrong_length_is_an_error(tmp_path) -> None:
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet("t"))
    with pytest.raises(ValueError):
        write_table(sheet, [Column("a", "a"), Column("b", "b")], [(1, 2), (1,)])
    workbook.save(tmp_path / "t.xlsx")  # close the sheet's stream
