"""Writing Excel files safely and with flat memory.

- Text is always text: a value that Excel would read as a formula (=, +, -, @, tab, CR, …) is
  stored as a string with the "quote prefix" flag, so it shows and reads back as the same text
  and stays text when someone edits the cell.
- Characters XML cannot hold (control characters other than tab, LF, CR) are replaced by U+FFFD.
- Workbooks are write-only: rows go straight to a temporary file, so memory stays flat.
"""

import contextlib
import datetime as dt
import decimal
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidationList
    from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.page import PrintPageSetup
    from openpyxl.worksheet.properties import WorksheetProperties

    class WriteOnlyLayout(Protocol):
        """What a write-only sheet has at run time (openpyxl's `Worksheet._setup` gives it
        these) but types-openpyxl's `WriteOnlyWorksheet` leaves out."""

        column_dimensions: DimensionHolder[str, ColumnDimension]
        data_validations: DataValidationList
        page_setup: PrintPageSetup
        sheet_properties: WorksheetProperties
        auto_filter: AutoFilter


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


def _none(value: None, number_format: str | None = None) -> None:
    return None


def _plain(value: Any, number_format: str | None = None) -> Any:
    return value


class SafeSheet:
    """A write-only sheet that writes every value safely.

    `cell` looks its handler up by the value's exact type (the common types: text, numbers,
    dates); anything else, subclasses included, takes the general path with the same rules.
    Styled cells (dates, quote-prefixed text, number formats) start from a style array made
    once per format: setting `number_format` on every cell goes through openpyxl's style
    collections each time.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        # The same sheet, typed with its page layout (column widths, print setup, filter).
        self.layout = cast("WriteOnlyLayout", ws)
        self._styles: dict[str, StyleArray] = {}
        self._quoted = StyleArray()
        self._quoted.quotePrefix = 1
        self._handlers: dict[type, Callable[[Any, str | None], Any]] = {
            type(None): _none,
            bool: _plain,
            str: self._text,
            int: self._number,
            float: self._number,
            decimal.Decimal: self._number,
            dt.date: self._date,
            dt.datetime: self._datetime,
        }

    def cell(self, value: Any, number_format: str | None = None) -> Any:
        handler = self._handlers.get(type(value))
        if handler is None:
            return self._any(value, number_format)
        return handler(value, number_format)

    def _any(self, value: Any, number_format: str | None) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, dt.datetime):
            return self._datetime(value, number_format)
        if isinstance(value, dt.date):
            return self._date(value, number_format)
        if number_format:
            cell = WriteOnlyCell(self.ws, value=value)
            cell.number_format = number_format
            return cell
        return value

    def _text(self, value: str, number_format: str | None = None) -> Any:
        # Every character clean_text replaces is a control character, never printable.
        text = value if value.isprintable() else clean_text(value)
        if text.startswith(FORMULA_TRIGGERS):
            # Set directly: openpyxl's own rule would make text starting with = a formula.
            return self._styled(text, "s", self._quoted)
        return text

    def _number(self, value: Any, number_format: str | None) -> Any:
        if number_format:
            return self._styled(value, "n", self._style(number_format))
        return value

    def _datetime(self, value: dt.datetime, number_format: str | None) -> Cell:
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return self._styled(value, "d", self._style(number_format or DATETIME_FORMAT))

    def _date(self, value: dt.date, number_format: str | None) -> Cell:
        return self._styled(value, "d", self._style(number_format or DATE_FORMAT))

    def _style(self, number_format: str) -> StyleArray:
        style = self._styles.get(number_format)
        if style is None:
            prototype = WriteOnlyCell(self.ws)
            prototype.number_format = number_format
            # `_style`, `_value`: openpyxl's private API (pinned to its minor version), unstubbed.
            style = self._styles[number_format] = prototype._style  # type: ignore[attr-defined]  # private
        return style

    def _styled(self, value: Any, data_type: str, style: StyleArray) -> Cell:
        """A cell of its own (callers may style it further) on a copy of `style`."""
        cell = Cell(self.ws, row=1, column=1, style_array=style)
        cell._value = value  # type: ignore[attr-defined]  # private API (see _style)
        cell.data_type = data_type
        return cell

    def append(self, values: Sequence[Any], formats: Sequence[str | None] | None = None) -> None:
        if formats is None:
            self.ws.append([self.cell(v) for v in values])
        else:
            self.ws.append([self.cell(v, f) for v, f in zip(values, formats, strict=True)])

    def header(self, titles: Sequence[str]) -> None:
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
            self.layout.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = f"A{header_row + 1}"
        self.ws.print_title_rows = f"{header_row}:{header_row}"
        self.layout.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        self.layout.page_setup.orientation = "landscape" if landscape else "portrait"
        self.layout.page_setup.fitToWidth = 1
        self.layout.page_setup.fitToHeight = 0
        fit = self.layout.sheet_properties.pageSetUpPr
        assert fit is not None  # WorksheetProperties always makes one
        fit.fitToPage = True
        last = get_column_letter(len(titles))
        self.layout.auto_filter.ref = f"A{header_row}:{last}{header_row}"


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def discard_workbook(workbook: Workbook) -> None:
    """After a failure part-way through a write-only workbook: end each sheet's XML stream
    and remove the temporary file openpyxl keeps it in until the save, now rather than when
    the process exits. A stream cut off mid-row cannot end its XML cleanly; that error is
    expected here and dropped (left to the garbage collector, each such stream printed an
    `Exception ignored … LxmlSyntaxError` traceback in the worker's log)."""
    for sheet in getattr(workbook, "_sheets", []):
        writer = getattr(sheet, "_writer", None)
        for stream in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()
        out = getattr(writer, "out", None)
        if out:
            with contextlib.suppress(OSError):
                os.remove(out)


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


def column_writer(sheet: SafeSheet, column: Column) -> Callable[[Any], Any]:
    """A column's value -> what the sheet gets: its display (labels resolved now), made safe."""
    cell = sheet.cell
    number_format = column.number_format
    display = column.display
    if isinstance(display, Labels):
        display = display.resolved()
    if display is None:
        return cell if number_format is None else lambda value: cell(value, number_format)
    return lambda value: cell(display(value), number_format)


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
    writers = [column_writer(sheet, c) for c in columns]
    append = sheet.ws.append
    count = 0
    for count, row in enumerate(rows, start=1):
        append([write(value) for write, value in zip(writers, row, strict=True)])
        if progress is not None and count % every == 0:
            progress(count)
    if progress is not None:
        progress(count)
    return count
