"""Consultation ledger (相談台帳) import: template, parsing and validation (the writing is in
`exports.ledger_write`).

One row is one consultation. Rows with the same 台帳ケース番号 in the same municipality are one
case; its first consultation is the row dated on the intake date. Each row's stable reference
(municipality code, ledger case number, row number) gives the consultation's submission
token, so uploading the same file again finds the rows already imported and creates nothing.

The token is an HMAC of that reference with SECRET_KEY (`ledger_token`): nobody can compute it
from outside, and the record forms accept only tokens the server signed (core/tokens.py), so
no one can plant a ledger row's token on their own case. A row is "already imported" only if
its token belongs to a consultation of the row's own municipality: a clash (an old forged
token, from before these rules) never moves a row into another municipality's case and never
blocks the import.

The consultations export writes these same columns (and a few more), so an export can be
imported into another installation.
"""

import datetime as dt
import hashlib
import uuid
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from accounts import scope
from accounts.models import User
from cases import rules as case_rules
from cases.models import Consultation, Person
from core.codes import is_valid_code
from core.excel import SafeSheet, new_workbook
from core.models import Municipality
from core.wareki import parse_date, parse_year
from exports import priority
from exports.ledger_columns import MAX_ROWS, LedgerColumn, ledger_columns

# The namespace of the tokens ledger rows had before they were keyed (still recognised, in
# the row's own municipality only, so that re-importing an old ledger creates nothing).
LEDGER_NAMESPACE = uuid.UUID("6f1d3c8e-2b7a-4e55-9a51-3c1f0b1e8d42")
TOKEN_SALT = "exports.ledger.row"  # noqa: S105  (an HMAC salt, not a secret)


def ledger_token(ref: str, *, secret: str | bytes | None = None) -> uuid.UUID:
    """The submission token of one ledger row reference, keyed with SECRET_KEY."""
    digest = salted_hmac(
        TOKEN_SALT, ref, secret=secret or settings.SECRET_KEY, algorithm="sha256"
    ).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def ledger_template(stream: IO[bytes]) -> None:
    """The blank template: the header row, drop-down lists, and a sheet explaining each column."""
    columns = ledger_columns()
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet(title=_("相談台帳")))
    titles = [str(c.header) for c in columns]
    sheet.setup(titles=titles, widths=[c.width for c in columns])
    for index, column in enumerate(columns):
        if column.choices:
            letter = chr(ord("A") + index)
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
            )
            validation.add(f"{letter}2:{letter}{MAX_ROWS}")
            sheet.layout.data_validations.append(validation)
    sheet.header(titles)
    guide = SafeSheet(workbook.create_sheet(title=_("説明")))
    guide.setup(titles=["", "", "", ""], widths=[20, 8, 60, 60], landscape=False)
    guide.header([_("列"), _("必須"), _("説明"), _("選べる値")])
    for column in columns:
        guide.append(
            [
                str(column.header),
                _("必須") if column.required else "",
                str(column.help),
                "、".join(column.choices) if column.choices else "",
            ]
        )
    workbook.save(stream)


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class LedgerRow:
    row: int
    values: dict[str, Any]
    municipality: Municipality | None = None

    @property
    def ref(self) -> str:
        v = self.values
        return f"{v['municipality_code']}/{v['case_ref']}/{v['row_ref']}"

    @property
    def token(self) -> uuid.UUID:
        """The token a new consultation from this row gets."""
        return ledger_token(self.ref)

    def known_tokens(self) -> list[uuid.UUID]:
        """Every token this row may already have been imported under: the current key, the
        keys in SECRET_KEY_FALLBACKS (a rotated SECRET_KEY), the unkeyed form of old imports."""
        fallbacks = [ledger_token(self.ref, secret=k) for k in settings.SECRET_KEY_FALLBACKS]
        return [self.token, *fallbacks, uuid.uuid5(LEDGER_NAMESPACE, self.ref)]


@dataclass
class ParsedLedger:
    rows: list[LedgerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def error_rows(self) -> dict[int, list[RowError]]:
        by_row: dict[int, list[RowError]] = defaultdict(list)
        for error in self.errors:
            by_row[error.row].append(error)
        return dict(sorted(by_row.items()))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    # The one parser of typed dates: Western or 和暦 (R5.4.1, 令和5年4月1日, H31.4.1).
    day = parse_date(_text(value))
    if day is None:
        raise ValueError(_("日付として読めません（例：2023/04/01、R5.4.1、令和5年4月1日）。"))
    return day


def _year(value: Any) -> int | None:
    """A birth year: 1985, or 和暦 as S60 / 昭和60."""
    text = _text(value)
    if not text:
        return None
    year = parse_year(text)
    if year is None:
        raise ValueError(_("生まれ年として読めません（例：1985、S60、昭和60）。"))
    return year


def _int(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ValueError(_("数字で入力してください。")) from exc


def _in_every_language() -> tuple[dict[str, set[str]], dict[str, dict[str, str]]]:
    """Column titles and choice labels in every UI language: a ledger filled in from the
    English template imports while the UI is in Japanese, and the other way round."""
    titles: dict[str, set[str]] = defaultdict(set)
    choices: dict[str, dict[str, str]] = defaultdict(dict)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for column in ledger_columns():
                titles[column.key].add(str(column.header))
                if column.choices:
                    choices[column.key].update(column.choices)
    return titles, choices


# Upload limits (issue 16, finding 2): checked on the archive before any XML is parsed, then
# per cell and per row while reading. An .xlsx is a zip of XML files: its declared sizes bound
# what the parser will ever see (zipfile stops reading an entry at its declared size).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # all entries together, after decompression
MAX_ENTRY_RATIO = 100  # uncompressed : compressed, for entries over RATIO_CHECK_FROM
RATIO_CHECK_FROM = 1024 * 1024
MAX_ARCHIVE_ENTRIES = 500
MAX_CELL_CHARS = 10_000  # the longest cell read (a consultation note fits easily)
MAX_ERRORS = 300  # the error list stops here: an error page stays small
EXCERPT_CHARS = 20  # a bad value is quoted back at most this long

# What a malformed or hostile file raises while openpyxl reads it (DTDs and entities are
# refused by defusedxml, which openpyxl uses when it is installed).
READ_ERRORS: tuple[type[BaseException], ...] = (
    DefusedXmlException,
    ElementTree.ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    OSError,
)


def excerpt(value: Any) -> str:
    """A short quote of a bad value for an error message (never the whole cell)."""
    text = str(value)
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def archive_problem(stream: IO[bytes]) -> str | None:
    """Why the file must not be parsed at all (a zip bomb, not an .xlsx), or None."""
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return _("Excelファイル（.xlsx）として読めません。")
    finally:
        stream.seek(0)
    if len(entries) > MAX_ARCHIVE_ENTRIES:
        return _("Excelファイル（.xlsx）として読めません。")
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        return _(
            "ファイルの中身が大きすぎます（展開後%(mb)dMBまで）。行を分けて、いくつかのファイルにしてください。"
        ) % {"mb": MAX_UNCOMPRESSED_BYTES // (1024 * 1024)}
    for entry in entries:
        if entry.file_size > RATIO_CHECK_FROM and entry.file_size > MAX_ENTRY_RATIO * max(
            entry.compress_size, 1
        ):
            return _(
                "ファイルの圧縮のされ方が異常なため、読み込みません。Excelで開いて保存し直したファイルを選んでください。"
            )
    return None


def ledger_parse(*, stream: IO[bytes], user: User) -> ParsedLedger:
    """Read and check every row; nothing is written. Errors carry the spreadsheet row number."""
    problem = archive_problem(stream)
    if problem is not None:
        return ParsedLedger(errors=[RowError(0, "", problem)])
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
        try:
            return _parse_sheet(workbook.worksheets[0], user)
        finally:
            workbook.close()
    except READ_ERRORS:
        return ParsedLedger(errors=[RowError(0, "", _("Excelファイル（.xlsx）として読めません。"))])


def _parse_sheet(sheet: Any, user: User) -> ParsedLedger:
    result = ParsedLedger()
    columns = ledger_columns()
    titles, any_choices = _in_every_language()
    rows = sheet.iter_rows(values_only=True)
    # Column titles are short: a long one is no title of ours (and is not kept in memory).
    header = [_text(v)[:100] for v in list(next(rows, ()))[:200]]
    positions: dict[str, int] = {}
    for column in columns:
        title = str(column.header)
        found = [header.index(t) for t in titles[column.key] if t in header]
        if found:
            positions[column.key] = min(found)
        elif column.required:
            result.errors.append(
                RowError(1, title, _("必須の列「%(col)s」がありません。") % {"col": title})
            )
    if result.errors:
        return result

    allowed = set(scope.personal_municipalities(user).values_list("code", flat=True))
    municipalities = {m.code: m for m in Municipality.objects.all()}
    today = timezone.localdate()
    seen_refs: set[tuple[str, str, str]] = set()
    for number, raw in enumerate(rows, start=2):
        priority.pace()  # in a worker, rests while people wait for the CPU
        if number > MAX_ROWS + 1:
            result.errors.append(
                RowError(number, "", _("一度に取り込めるのは%(n)d行までです。") % {"n": MAX_ROWS})
            )
            break
        if raw is None or all(v in (None, "") for v in raw):
            continue
        values: dict[str, Any] = {}
        errors: list[RowError] = []

        def add(
            column: LedgerColumn, message: str, errors: list[RowError] = errors, row: int = number
        ) -> None:
            errors.append(RowError(row, str(column.header), message))

        for column in columns:
            position = positions.get(column.key)
            cell = raw[position] if position is not None and position < len(raw) else None
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                add(
                    column,
                    _("長すぎます（%(n)s文字まで）。") % {"n": f"{MAX_CELL_CHARS:,}"},
                )
                continue
            try:
                if column.key in ("intake_date", "date", "next_action_date"):
                    value: Any = _date(cell)
                elif column.key == "birth_year":
                    value = _year(cell)
                elif column.key == "duration_minutes":
                    value = _int(cell)
                else:
                    value = _text(cell)
            except ValueError as exc:
                add(column, str(exc))
                continue
            if column.required and value in (None, ""):
                add(column, _("必須です。"))
                continue
            if column.choices is not None and value not in (None, ""):
                if value not in any_choices[column.key]:
                    add(
                        column,
                        _("「%(value)s」は選べません。選べる値：%(choices)s")
                        % {"value": excerpt(value), "choices": "、".join(column.choices)},
                    )
                    continue
                value = any_choices[column.key][value]
            values[column.key] = value

        by_key = {c.key: c for c in columns}
        code = values.get("municipality_code", "")
        municipality = None
        if code:
            if not is_valid_code(code):
                add(
                    by_key["municipality_code"],
                    _("地方公共団体コード「%(code)s」が正しくありません（検査数字）。")
                    % {"code": excerpt(code)},
                )
            elif code not in municipalities:
                add(
                    by_key["municipality_code"],
                    _("市町村コード「%(code)s」は登録されていません。") % {"code": excerpt(code)},
                )
            elif code not in allowed:
                add(
                    by_key["municipality_code"],
                    _("市町村コード「%(code)s」は、あなたの担当範囲外です。")
                    % {"code": excerpt(code)},
                )
            else:
                municipality = municipalities[code]
        if values.get("sex") in (None, ""):
            values["sex"] = Person.Sex.UNKNOWN
        for key, messages in case_rules.person_errors(
            case_rules.PersonInput(
                kana=values.get("kana", ""), birth_year=values.get("birth_year")
            ),
            today=today,
        ).items():
            add(by_key[key], " ".join(messages))
        if values.get("intake_date"):
            for message in case_rules.date_errors(values["intake_date"], today=today):
                add(by_key["intake_date"], message)
        if all(values.get(k) not in (None, "") for k in ("date", "method", "with_whom")):
            problems = case_rules.consultation_errors(
                _consultation_input(values),
                intake_date=values.get("intake_date") or values["date"],
                today=today,
            )
            for key, messages in problems.items():
                add(by_key[key], " ".join(messages))
        elif values.get("date"):
            # The method or partner is wrong: still report the date's own problems.
            not_before = values.get("intake_date")
            for message in case_rules.date_errors(values["date"], not_before=not_before):
                add(by_key["date"], message)
        ref = (code, values.get("case_ref", ""), values.get("row_ref", ""))
        if all(ref):
            if ref in seen_refs:
                add(by_key["row_ref"], _("同じケースの中で行番号が重複しています。"))
            seen_refs.add(ref)
        if errors:
            result.errors.extend(errors)
            if len(result.errors) >= MAX_ERRORS:
                result.errors = result.errors[:MAX_ERRORS]
                result.errors.append(
                    RowError(
                        number,
                        "",
                        _("エラーが多いため、%(row)d行目で確認をやめました。") % {"row": number},
                    )
                )
                result.rows = []
                return result
        else:
            result.rows.append(LedgerRow(number, values, municipality))

    _check_cases(result)
    if not result.rows and not result.errors:
        result.errors.append(RowError(0, "", _("取り込むデータ行がありません。")))
    return result


def _consultation_input(values: dict[str, Any]) -> case_rules.ConsultationInput:
    return case_rules.ConsultationInput(
        date=values["date"],
        method=values["method"],
        with_whom=values["with_whom"],
        duration_minutes=values.get("duration_minutes"),
        notes=values.get("notes", ""),
        next_action=values.get("next_action", ""),
        next_action_date=values.get("next_action_date"),
    )


def _groups(rows: Iterable[LedgerRow]) -> dict[tuple[str, str], list[LedgerRow]]:
    groups: dict[tuple[str, str], list[LedgerRow]] = defaultdict(list)
    for row in rows:
        groups[(row.values["municipality_code"], row.values["case_ref"])].append(row)
    for group in groups.values():
        group.sort(key=lambda r: (r.values["date"], r.row))
    return groups


def _check_cases(result: ParsedLedger) -> None:
    """Rules across rows: one intake date per case, the first consultation on it."""
    for (_code, case_ref), group in _groups(result.rows).items():
        intake_dates = {r.values["intake_date"] for r in group}
        if len(intake_dates) > 1:
            for row in group:
                result.errors.append(
                    RowError(
                        row.row,
                        str(_("受理日")),
                        _("台帳ケース番号「%(ref)s」の行で受理日が異なります。")
                        % {"ref": excerpt(case_ref)},
                    )
                )
        elif group[0].values["date"] != group[0].values["intake_date"]:
            result.errors.append(
                RowError(
                    group[0].row,
                    str(_("相談日")),
                    _("台帳ケース番号「%(ref)s」の最初の相談日は受理日と同じ日にしてください。")
                    % {"ref": excerpt(case_ref)},
                )
            )
    if result.errors:
        bad = {e.row for e in result.errors}
        result.rows = [r for r in result.rows if r.row not in bad]


def _already_imported(rows: list[LedgerRow]) -> dict[int, int]:
    """Spreadsheet row number → the case holding that row's consultation, for rows imported
    before: a known token on a consultation *of the row's own municipality*. The same token in
    another municipality is someone else's record and is ignored (never attached to)."""
    by_token = {token: row for row in rows for token in row.known_tokens()}
    found: dict[int, int] = {}
    existing = Consultation.objects.filter(submission_token__in=list(by_token)).values_list(
        "submission_token", "case_id", "case__municipality_id"
    )
    for token, case_id, municipality_id in existing:
        row = by_token[token]
        if row.municipality is not None and municipality_id == row.municipality.pk:
            found.setdefault(row.row, case_id)
    return found


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
