"""Writing Excel files safely and with flat memory.

- Text is always text: a value that Excel would read as a formula (=, +, -, @, tab, CR, …) is
  stored as a string with the "quote prefix" flag, so it shows and reads back as the same text
  and stays text when someone edits the cell.
- Characters XML cannot hold (control characters other than tab, LF, CR) are replaced by U+FFFD.
- Workbooks are write-only: rows go straight to a temporary file, so memory stays flat.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

# Leading characters that make Excel (or LibreOffice) treat a cell as a formula or command.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
INTEGER_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0017C1")
HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)


def clean_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


class SafeSheet:
    """A write-only sheet that writes every value safely."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self._styled: dict[str, WriteOnlyCell] = {}

    def cell(self, value: Any, number_format: str | None = None) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = clean_text(value)
            if text.startswith(FORMULA_TRIGGERS):
                cell = WriteOnlyCell(self.ws)
                cell._value = text  # bypass openpyxl's "starts with = means formula" rule
                cell.data_type = "s"
                cell.quotePrefix = True
                return cell
            return text
        if isinstance(value, dt.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)
            cell = WriteOnlyCell(self.ws, value=value)
            cell.number_format = number_format or DATETIME_FORMAT
            return cell
        if isinstance(value, dt.date):
            cell = WriteOnlyCell(self.ws, value=value)
            cell.number_format = number_format or DATE_FORMAT
            return cell
        if number_format:
            cell = WriteOnlyCell(self.ws, value=value)
            cell.number_format = number_format
            return cell
        return value

    def append(self, values: Sequence[Any], formats: Sequence[str | None] | None = None) -> None:
        if formats is None:
            self.ws.append([self.cell(v) for v in values])
        else:
            self.ws.append([self.cell(v, f) for v, f in zip(values, formats, strict=True)])

    def header(self, titles: Sequence[str], widths: Sequence[float] | None = None) -> None:
        """The header row: bold on the key colour, frozen, filterable, repeated when printed."""
        row = []
        for title in titles:
            cell = WriteOnlyCell(self.ws, value=clean_text(str(title)))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGNMENT
            row.append(cell)
        self.ws.append(row)

    def setup(
        self,
        *,
        titles: Sequence[str],
        widths: Sequence[float],
        header_row: int = 1,
        landscape: bool = True,
    ) -> None:
        """Column widths, frozen header, filter, A4 print setup. Call before appending rows."""
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = f"A{header_row + 1}"
        self.ws.print_title_rows = f"{header_row}:{header_row}"
        self.ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        self.ws.page_setup.orientation = "landscape" if landscape else "portrait"
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        last = get_column_letter(len(titles))
        self.ws.auto_filter.ref = f"A{header_row}:{last}{header_row}"


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


class Labels:
    """A column display for a choice field: the value's label as text (unknown values as text).

    The labels are lazy translations, and translating one goes through Django's translation
    machinery each time; `resolved` translates them all once, in the language active then, for
    `write_table` to look up per cell.
    """

    def __init__(self, choices: Any) -> None:
        self.mapping = dict(choices)

    def __call__(self, value: Any) -> Any:
        return str(self.mapping.get(value, value)) if value is not None else None

    def resolved(self) -> Callable[[Any], Any]:
        get = {key: str(label) for key, label in self.mapping.items()}.get

        def show(value: Any) -> Any:
            if value is None:
                return None
            label = get(value)
            return str(value) if label is None else label

        return show


@dataclass(frozen=True)
class Column:
    """One column of a record export."""

    header: Any
    path: str
    width: float = 14
    personal: bool = False  # names and free text: only when personal data is requested
    display: Callable[[Any], Any] | None = None
    number_format: str | None = None


def write_table(
    sheet: SafeSheet,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
    every: int = 2000,
) -> int:
    """Write a header and rows (tuples in column order); returns the number of rows written."""
    titles = [str(c.header) for c in columns]
    sheet.setup(titles=titles, widths=[c.width for c in columns])
    sheet.header(titles)
    displays = [
        c.display.resolved() if isinstance(c.display, Labels) else c.display for c in columns
    ]
    formats = [c.number_format for c in columns]
    plain = all(d is None for d in displays) and all(f is None for f in formats)
    count = 0
    for row in rows:
        if plain:
            sheet.append(row)
        else:
            values = [d(v) if d else v for d, v in zip(displays, row, strict=True)]
            sheet.append(values, formats)
        count += 1
        if progress is not None and count % every == 0:
            progress(count)
    if progress is not None:
        progress(count)
    return count
