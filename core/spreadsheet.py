"""Excel exports that never run what they contain (formula injection) and read back intact.

Every text value is written as a text cell (inline string), never as a formula, whatever it
starts with; a value starting with = + - @ tab or CR is also marked with Excel's quote prefix,
so editing the cell in Excel keeps it text. Characters that XML cannot carry are replaced
with U+FFFD, and a carriage return is written as a character reference (&#13;), which XML
readers would otherwise turn into a line feed. Use `write_only_workbook`, `text_row` and
`workbook_bytes`:

    wb, ws = write_only_workbook("監査ログ")
    ws.append(text_row(ws, ["日時", "ユーザー"]))
    for event in events:
        ws.append(text_row(ws, [event.at, event.username]))
    data = workbook_bytes(wb)
"""

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# What a spreadsheet program may read as the start of a formula or a command.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_only_workbook(title: str) -> tuple[Workbook, WriteOnlyWorksheet]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    return wb, ws


def safe_cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """One cell: text stays text; numbers, booleans and dates keep their type."""
    if value is None:
        return WriteOnlyCell(ws, value=None)
    if isinstance(value, bool | int | float):
        return WriteOnlyCell(ws, value=value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    cell = WriteOnlyCell(ws, value=None)
    # Set the value without openpyxl's guessing (it turns "=…" into a formula).
    cell._value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True
    return cell


def text_row(ws: WriteOnlyWorksheet, values: Iterable[Any]) -> list[WriteOnlyCell]:
    return [safe_cell(ws, value) for value in values]


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx file, with carriage returns in cell text kept as &#13;."""
    raw = io.BytesIO()
    wb.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/") and b"\r" in data:
                # openpyxl's own markup has no CR, and attribute values are escaped by the
                # serializer: a raw CR here can only come from a cell's text.
                data = re.sub(rb"\r", b"&#13;", data)
            target.writestr(info, data)
    return out.getvalue()
