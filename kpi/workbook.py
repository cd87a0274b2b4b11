"""The KPI report as an Excel workbook: the same `Report` the dashboard and `kpi_report` use.

Four sheets: 概要 (the four indicators against their targets), 市町村別 (都道府県別 for the
national scope), 月別 (monthly and running totals against the target) and 副次指標. Written
with `core.excel` (safe cells, write-only sheets).

Publication mode (公表用) hides small counts of people and cases and whatever would give them
back (`kpi.suppression`). Counts of municipalities and places (K2, platforms, ibasho sites)
identify nobody and are shown as they are.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext, pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.excel import INTEGER_FORMAT, PERCENT_FORMAT, SafeSheet, new_workbook
from core.fiscal import short_label
from kpi.models import Indicator
from kpi.selectors import AreaKind, Report, Status
from kpi.suppression import SECONDARY_MARK, Column, small_label, suppress

K1 = Indicator.NEW_CONSULTATIONS.value
K2 = Indicator.MUNICIPALITIES_WITH_CASE_MEETINGS.value
K3 = Indicator.IBASHO_LINKS.value
K4 = Indicator.EMPLOYED_AFTER_INTERMEDIATE.value
MEETINGS = "meetings"
COUNTED = (K1, K3, K4)  # counts of cases and people: suppressed when published

MONTH_FORMAT = 'yyyy"年"m"月"'
JP_DATE_FORMAT = 'yyyy"年"m"月"d"日"'
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)

# Sheet names follow the user's language (str() them when the workbook is written).
SHEET_SUMMARY = pgettext_lazy("sheet", "概要")
SHEET_MUNICIPALITIES = pgettext_lazy("sheet", "市町村別")
SHEET_PREFECTURES = pgettext_lazy("sheet", "都道府県別")  # 市町村別's place for the nation
SHEET_MONTHLY = pgettext_lazy("sheet", "月別")
SHEET_SECONDARY = pgettext_lazy("sheet", "副次指標")
SHEET_PROGRAMME = pgettext_lazy("sheet", "県の取組")


@dataclass
class Publication:
    """What publication mode hides: one `Column` per suppressed column of the workbook."""

    public: bool
    threshold: int
    municipalities: dict[str, Column] = field(default_factory=dict)
    monthly: dict[str, Column] = field(default_factory=dict)
    consultations: dict[str, Column] = field(default_factory=dict)
    hidden_totals: set[str] = field(default_factory=set)

    def count(self, value: int | None, key: str = "") -> int | str | None:
        """A count shown on its own (a total, a summary figure)."""
        if value is None or not self.public:
            return value
        if key in self.hidden_totals:
            return SECONDARY_MARK
        if 0 < value < self.threshold:
            return small_label(self.threshold)
        return value

    def is_hidden(self, value: int | None, key: str) -> bool:
        return self.count(value, key) != value


def plan_publication(report: Report, *, public: bool, threshold: int) -> Publication:
    """Decide every hidden cell. A total shown on one sheet is known on every sheet, so a
    total that cannot be shown safely on one is hidden on all of them."""
    publication = Publication(public=public, threshold=threshold)
    if not public:
        return publication
    rows = report.areas
    muni_values = {
        K1: [r.new_consultations for r in rows],
        MEETINGS: [r.meetings for r in rows],
        K3: [r.ibasho_links for r in rows],
        K4: [r.employed for r in rows],
    }
    monthly_values = {key: [p.added for p in report.indicator(key).monthly] for key in COUNTED}
    consultations = report.secondary.consultations
    consultation_values = {
        "method_contacts": [m.contacts for m in consultations.by_method],
        "contacts": [consultations.new_contacts, consultations.ongoing_contacts],
        "persons": [consultations.new_persons, consultations.ongoing_persons],
    }
    # K2's monthly figures count municipalities: nothing to hide there.
    totals = {"method_contacts": "contacts"}
    hidden: set[str] = set()
    while True:  # `hidden` only grows, and there are few keys
        publication.municipalities = {
            key: suppress(v, threshold=threshold, total_shown=key not in hidden)
            for key, v in muni_values.items()
        }
        publication.monthly = {
            key: suppress(
                v, threshold=threshold, total_shown=key not in hidden, running_totals=True
            )
            for key, v in monthly_values.items()
        }
        publication.consultations = {
            key: suppress(v, threshold=threshold, total_shown=totals.get(key, key) not in hidden)
            for key, v in consultation_values.items()
        }
        found = {k for k, c in publication.municipalities.items() if c.total_hidden}
        found |= {k for k, c in publication.monthly.items() if c.total_hidden}
        found |= {totals.get(k, k) for k, c in publication.consultations.items() if c.total_hidden}
        if found <= hidden:
            break
        hidden |= found
    publication.hidden_totals = hidden
    return publication


# --- writing helpers -------------------------------------------------------------------------


def _styled(
    sheet: SafeSheet, value: Any, *, font: Font | None = None, fmt: str | None = None
) -> Any:
    cell = sheet.cell(value, fmt)
    if font is None or cell is None:
        return cell
    if not isinstance(cell, Cell):
        cell = WriteOnlyCell(sheet.ws, value=cell)
    cell.font = font
    return cell


def _number(sheet: SafeSheet, value: Any, fmt: str = INTEGER_FORMAT) -> Any:
    """A number with its format; a suppression mark ("<5", "x") as right-aligned text."""
    if isinstance(value, str):
        return sheet.cell(value)
    return sheet.cell(value, fmt)


def _title_rows(sheet: SafeSheet, report: Report, title: str, publication: Publication) -> None:
    suffix = _("（公表用）") if publication.public else ""
    sheet.ws.append([_styled(sheet, f"{title}{suffix}", font=TITLE_FONT)])
    sheet.ws.append(
        [
            sheet.cell(
                _("%(year)s　%(scope)s　%(date)s時点")
                % {
                    "year": report.long_label,
                    "scope": report.scope.name,
                    "date": date_format(report.as_of, "DATE_FORMAT"),  # 2023年12月31日 in Japanese
                }
            )
        ]
    )


def _setup(
    sheet: SafeSheet, *, titles: Sequence[str], widths: Sequence[float], header_row: int
) -> None:
    """Widths, frozen header, A4 landscape; the title rows repeat on every printed page."""
    sheet.setup(titles=titles, widths=widths, header_row=header_row)
    sheet.ws.print_title_rows = f"1:{header_row}"


def _filter(sheet: SafeSheet, *, columns: int, header_row: int, last_row: int) -> None:
    sheet.layout.auto_filter.ref = (
        f"A{header_row}:{get_column_letter(columns)}{max(header_row, last_row)}"
    )


def _notes(sheet: SafeSheet, lines: Sequence[str]) -> None:
    sheet.ws.append([])
    for line in lines:
        sheet.append([line])


def _suppression_notes(publication: Publication) -> list[str]:
    if not publication.public:
        return []
    return [
        _("公表用: 1〜%(n)s の件数・人数は「%(mark)s」と表示しています（0 はそのまま）。")
        % {"n": publication.threshold - 1, "mark": small_label(publication.threshold)},
        _("「x」: 合計などから上記の値が計算できないよう、あわせて非表示にした値です。"),
    ]


# --- the sheets ------------------------------------------------------------------------------


COUNTING_RULES = (
    gettext_noop("新規相談件数: 受理日が年度内のケースの数（1ケース1件）。"),
    gettext_noop("ケース会議を実施した市町村数: 年度内にケース会議を1回以上実施した市町村の数。"),
    gettext_noop(
        "居場所等の支援につながった件数: 居場所等につながった日（利用開始日）が年度内のつなぎの数。"
    ),
    gettext_noop(
        "中間的就労等を経て就労した人数: 中間的就労等を経た就労の開始日が年度内の人の実人数。"
    ),
    gettext_noop("いずれも基準日までに実施・開始したものだけを数えます。"),
    gettext_noop(
        "居場所等・就労訓練として数えるかは、つながった日の種別の設定で決まります"
        "（後から設定を変えても過去の年度は変わりません）。"
    ),
    gettext_noop(
        "「中間的就労等を経て」の自動判定: 就労開始日以前（同じ日を含む）に就労訓練・中間的就労"
        "につながった記録があること。就労を記録したときに判定し、後から変わるのは"
        "「判定し直す」操作（記録が残ります）だけです。"
    ),
)

STATUS_NOTES = (
    gettext_noop("判定 達成: 実績が目標以上。順調: 年度末の見込みが目標以上。要注意: それ以外。"),
    gettext_noop("年度末の見込み: 基準日までのペースが年度末まで続くと仮定した値（切り捨て）。"),
)


def _summary(wb: Workbook, report: Report, publication: Publication) -> None:
    sheet = SafeSheet(wb.create_sheet(str(SHEET_SUMMARY)))
    titles = [
        _("指標"),
        _("実績"),
        _("単位"),
        _("目標"),
        _("達成率"),
        _("年度末の見込み"),
        _("判定"),
        _("基準値"),
    ]
    header_row = 8
    _setup(sheet, titles=titles, widths=[38, 11, 9, 11, 10, 14, 10, 20], header_row=header_row)
    _title_rows(sheet, report, _("ひきこもり支援 KPI 報告"), publication)
    sheet.ws.append([])
    sheet.append([_("年度"), report.long_label])
    sheet.append([_("範囲"), report.scope.name])
    sheet.ws.append([sheet.cell(_("基準日")), sheet.cell(report.as_of, JP_DATE_FORMAT)])
    sheet.append(
        [
            _("経過日数"),
            _("%(elapsed)s日／%(days)s日")
            % {"elapsed": report.elapsed_days, "days": report.days_in_year},
        ]
    )
    sheet.header(titles)
    for ind in report.indicators:
        counted = ind.key in COUNTED
        value: Any = publication.count(ind.value, ind.key) if counted else ind.value
        hidden = value != ind.value
        if ind.no_data:
            value, hidden = _("データなし"), True
        share = None if ind.share is None or hidden else ind.share / 100
        projected = None if hidden else ind.projected
        baseline = ind.baseline
        sheet.ws.append(
            [
                sheet.cell(ind.label),
                _number(sheet, value),
                sheet.cell(pgettext("unit", ind.unit).strip()),
                _number(sheet, ind.target),
                _number(sheet, share, PERCENT_FORMAT),
                _number(sheet, projected),
                sheet.cell(str(Status.LABELS[ind.status]) if ind.status else "—"),
                sheet.cell(
                    f"{baseline.value:,}{pgettext('unit', ind.unit)}（{baseline.label}）"
                    if baseline
                    else "—"
                ),
            ]
        )
    _filter(sheet, columns=len(titles), header_row=header_row, last_row=header_row + 4)
    _closing_rows(sheet, report, publication)
    k2 = report.indicator(K2)
    _notes(
        sheet,
        [
            *(
                [
                    _(
                        "%(year)s年度より前はこのシステムに記録がないため「データなし」です"
                        "（0件ではありません）。"
                    )
                    % {"year": report.first_year}
                ]
                if report.no_data
                else []
            ),
            _("ケース会議を実施した市町村数の対象: %(n)s市町村") % {"n": k2.total},
            _("【数え方】"),
            *[_(line) for line in COUNTING_RULES],
            *[_(line) for line in STATUS_NOTES],
            *_suppression_notes(publication),
            _("この報告書は集計値のみを含み、個人情報は含みません。"),
        ],
    )


def _closing_rows(sheet: SafeSheet, report: Report, publication: Publication) -> None:
    """年度確定: who closed the year; the recount's differences and the records behind them.
    In publication mode only the fact of closing (differences are internal working)."""
    state = report.closing
    if state is None:
        return
    sheet.ws.append([])
    sheet.ws.append(
        [
            _styled(sheet, _("年度確定"), font=BOLD),
            sheet.cell(
                _("%(at)s に %(by)s が確定した値です。")
                % {
                    "at": date_format(timezone.localtime(state.closed_at), "DATETIME_FORMAT"),
                    "by": state.closed_by,
                }
            ),
        ]
    )
    if publication.public:
        return
    if not state.differs:
        sheet.append([_("再集計"), _("確定値と一致しています。")])
        return
    sheet.header([_("確定値と再集計の差"), _("確定値"), _("再集計"), _("差")])
    for d in state.differences:
        sheet.ws.append(
            [
                sheet.cell(d.label),
                _number(sheet, d.reported),
                _number(sheet, d.recounted),
                _number(sheet, d.difference),
            ]
        )
    sheet.ws.append([])
    sheet.header([_("差の理由（記録）"), _("集計の日付"), _("変更"), _("日時"), _("変更した人")])
    for c in state.changes:
        sheet.append(
            [
                c.reference,
                date_format(c.date),
                c.kind,
                date_format(timezone.localtime(c.at), "DATETIME_FORMAT"),
                c.by or "—",
            ]
        )


def _areas(wb: Workbook, report: Report, publication: Publication) -> None:
    """市町村別, or 都道府県別 for the national scope: the same counted columns (meetings, K1,
    K3, K4: suppressed alike in publication mode) after the area's own columns."""
    by_prefecture = report.area_kind == AreaKind.PREFECTURE
    if by_prefecture:
        sheet = SafeSheet(wb.create_sheet(str(SHEET_PREFECTURES)))
        titles = [
            _("都道府県コード"),
            _("都道府県"),
            _("市町村数"),
            _("ケース会議を実施した市町村"),
        ]
        title = _("都道府県別の実績")
    else:
        sheet = SafeSheet(wb.create_sheet(str(SHEET_MUNICIPALITIES)))
        titles = [_("市町村コード"), _("市町村"), _("管轄"), _("ケース会議")]
        title = _("市町村別の実績")
    titles += [
        _("ケース会議の回数"),
        _("新規相談件数（件）"),
        _("居場所等につながった件数（件）"),
        _("中間的就労等を経た就労者数（人）"),
        _("プラットフォームを設置した市町村") if by_prefecture else _("プラットフォーム"),
    ]
    header_row = 3
    _setup(sheet, titles=titles, widths=[12, 14, 22, 11, 12, 14, 18, 20, 14], header_row=header_row)
    _title_rows(sheet, report, title, publication)
    sheet.header(titles)
    columns = publication.municipalities
    keys = (MEETINGS, K1, K3, K4)
    for n, row in enumerate(report.areas):
        raw = {
            MEETINGS: row.meetings,
            K1: row.new_consultations,
            K3: row.ibasho_links,
            K4: row.employed,
        }
        shown = {k: columns[k].cell(n) if publication.public else raw[k] for k in keys}
        if by_prefecture:
            own = [
                _number(sheet, row.municipalities),
                _number(sheet, row.municipalities_with_meetings),
            ]
            platform = _number(sheet, row.platforms)
        else:
            own = [
                sheet.cell(row.jurisdiction),
                sheet.cell(_("実施") if row.meeting_held else _("未実施")),
            ]
            platform = sheet.cell(
                _("設置済")
                if row.platform_established
                else _("準備中")
                if row.platform_preparing
                else _("未設置")
            )
        sheet.ws.append(
            [
                sheet.cell(row.code),
                sheet.cell(row.name),
                *own,
                *[_number(sheet, shown[k]) for k in keys],
                platform,
            ]
        )
    last = header_row + len(report.areas)
    _filter(sheet, columns=len(titles), header_row=header_row, last_row=last)
    k2 = report.indicator(K2)
    totals = {
        MEETINGS: sum(r.meetings for r in report.areas),
        K1: report.indicator(K1).value,
        K3: report.indicator(K3).value,
        K4: report.indicator(K4).value,
    }
    if by_prefecture:
        own_total = [_number(sheet, k2.total), _number(sheet, k2.value)]
        platform_total = _number(sheet, report.secondary.platforms)
    else:
        own_total = [
            None,
            sheet.cell(_("%(n)s / %(total)s 市町村") % {"n": k2.value, "total": k2.total}),
        ]
        platform_total = sheet.cell(_("%(n)s 市町村") % {"n": report.secondary.platforms})
    sheet.ws.append(
        [
            _styled(sheet, _("合計"), font=BOLD),
            _styled(sheet, report.scope.name, font=BOLD),
            *own_total,
            *[_number(sheet, publication.count(totals[k], k)) for k in keys],
            platform_total,
        ]
    )
    if by_prefecture:
        notes = [
            _("都道府県の順（全国地方公共団体コード順）に表示しています。"),
            _(
                "就労者数は都道府県ごとの実人数です。複数の都道府県で就労した人は合計では1人と"
                "数えます。"
            ),
        ]
    else:
        notes = [
            _("ケース会議をまだ実施していない市町村を先に表示しています。"),
            _(
                "就労者数は市町村ごとの実人数です。複数の市町村で就労した人は合計では1人と数えます。"
            ),
        ]
    _notes(sheet, [*notes, *_suppression_notes(publication)])


def _monthly(wb: Workbook, report: Report, publication: Publication) -> None:
    sheet = SafeSheet(wb.create_sheet(str(SHEET_MONTHLY)))
    short = {
        K1: _("新規相談"),
        K2: _("ケース会議実施市町村"),
        K3: _("居場所等につながった件数"),
        K4: _("中間的就労等を経た就労者"),
    }
    titles = [_("月")]
    for key in Indicator.values:
        titles += [
            _("%(name)s 当月") % {"name": short[key]},
            _("%(name)s 累計") % {"name": short[key]},
            _("%(name)s 目標") % {"name": short[key]},
        ]
    header_row = 3
    widths = [11] + [12, 12, 10] * 4
    _setup(sheet, titles=titles, widths=widths, header_row=header_row)
    _title_rows(sheet, report, _("月別の実績（当月・累計）と年度目標"), publication)
    sheet.header(titles)
    months = report.indicators[0].monthly
    for n, point in enumerate(months):
        row: list[Any] = [sheet.cell(point.month, MONTH_FORMAT)]
        for ind in report.indicators:
            p = ind.monthly[n]
            if publication.public and ind.key in COUNTED:
                column = publication.monthly[ind.key]
                added, cumulative = column.cell(n), column.running(n)
            else:
                added, cumulative = p.added, p.cumulative
            row += [_number(sheet, added), _number(sheet, cumulative), _number(sheet, ind.target)]
        sheet.ws.append(row)
    _filter(sheet, columns=len(titles), header_row=header_row, last_row=header_row + len(months))
    total_row: list[Any] = [_styled(sheet, _("年度計"), font=BOLD)]
    for ind in report.indicators:
        value = publication.count(ind.value, ind.key) if ind.key in COUNTED else ind.value
        total_row += [_number(sheet, value), None, _number(sheet, ind.target)]
    sheet.ws.append(total_row)
    _notes(
        sheet,
        [
            _("基準日より後の月は空欄です。目標は年度の目標値です。"),
            _("ケース会議実施市町村の当月は、その月に初めてケース会議を実施した市町村の数です。"),
            _("就労者の当月は、その月に年度内で初めて就労した人の数です。"),
            *_suppression_notes(publication),
        ],
    )


def _secondary(wb: Workbook, report: Report, publication: Publication) -> None:
    sheet = SafeSheet(wb.create_sheet(str(SHEET_SECONDARY)))
    s = report.secondary
    titles = [_("項目"), _("実績"), _("単位"), _("対象の市町村数"), _("基準値"), _("基準値の時点")]
    header_row = 3
    _setup(sheet, titles=titles, widths=[52, 11, 8, 14, 11, 16], header_row=header_row)
    _title_rows(sheet, report, _("その他の指標"), publication)
    sheet.header(titles)

    def figure(label: str, value: int | str | None, unit: str, of: int | None, base: str) -> None:
        baseline = s.baselines.get(base) if base else None
        sheet.ws.append(
            [
                sheet.cell(label),
                _number(sheet, value),
                sheet.cell(unit.strip()),
                _number(sheet, of),
                _number(sheet, baseline.value if baseline else None),
                sheet.cell(baseline.label if baseline else None),
            ]
        )

    figure(
        _("プラットフォームを設置した市町村"),
        s.platforms,
        pgettext("unit", "市町村"),
        s.municipalities,
        "platforms",
    )
    figure(
        _("実態・ニーズ把握を実施した市町村"),
        s.needs_assessed,
        pgettext("unit", "市町村"),
        s.municipalities,
        "needs_assessed",
    )
    figure(
        _("重層的支援体制整備事業を実施している市町村"),
        s.jusoteki,
        pgettext("unit", "市町村"),
        s.municipalities,
        "",
    )
    figure(
        _("支援（スーパーバイズ）を受けてケース会議を実施した市町村"),
        s.supervised_municipalities,
        pgettext("unit", "市町村"),
        s.municipalities,
        "supervised_meetings",
    )
    figure(
        _("ケース会議の開催回数"),
        publication.count(s.meetings, MEETINGS),
        pgettext("unit", "回"),
        None,
        "",
    )
    figure(
        _("　うち県・センター・福祉保健所が支援した回数"),
        publication.count(s.supervised_meetings),
        pgettext("unit", "回"),
        None,
        "",
    )
    figure(
        _("実態把握調査で把握した人数"),
        publication.count(s.survey_persons),
        pgettext("unit", "人"),
        s.survey_municipalities,
        "survey_persons",
    )
    figure(_("活動中の居場所等"), s.ibasho_active, pgettext("unit", "か所"), None, "")
    figure(
        _("　うち県の支援がある居場所"),
        s.ibasho_prefecture_supported,
        pgettext("unit", "か所"),
        None,
        "prefecture_ibasho",
    )
    figure(
        _("就労訓練・中間的就労の場"),
        s.work_training_active,
        pgettext("unit", "か所"),
        None,
        "work_support_sites",
    )
    cw = s.casework
    figure(
        _("決定したプランがある継続中のケース"),
        publication.count(cw.get("open_with_plan")), pgettext("unit", "件"), None, "",
    )  # fmt: skip
    figure(_("モニタリング・評価の実施回数"), publication.count(cw.get("reviews")),
           pgettext("unit", "回"), None, "")  # fmt: skip
    figure(_("　うち予定日までに実施した回数"), publication.count(cw.get("reviews_on_time")),
           pgettext("unit", "回"), None, "")  # fmt: skip
    figure(
        _("支援段階が1つ以上進んだ人数"),
        publication.count(cw.get("stage_forward")), pgettext("unit", "人"), None, "",
    )  # fmt: skip
    _filter(sheet, columns=len(titles), header_row=header_row, last_row=header_row + 14)

    # The consultations table: 延べ件数 (contacts) and 実人数 (persons).
    c = s.consultations
    sheet.ws.append([])
    sheet.ws.append([_styled(sheet, _("相談の延べ件数と実人数"), font=BOLD)])
    sheet.header([_("区分"), _("延べ件数"), _("実人数")])
    columns = publication.consultations
    for n, m in enumerate(c.by_method):
        contacts = columns["method_contacts"].cell(n) if publication.public else m.contacts
        sheet.ws.append(
            [
                sheet.cell(m.label),
                _number(sheet, contacts),
                _number(sheet, publication.count(m.persons)),
            ]
        )
    for n, label in enumerate(
        [_("新規（今年度受理したケース）"), _("継続（前年度までに受理したケース）")]
    ):
        raw = [(c.new_contacts, c.new_persons), (c.ongoing_contacts, c.ongoing_persons)][n]
        shown = (
            (columns["contacts"].cell(n), columns["persons"].cell(n)) if publication.public else raw
        )
        sheet.ws.append([sheet.cell(label), _number(sheet, shown[0]), _number(sheet, shown[1])])
    sheet.ws.append(
        [
            _styled(sheet, _("合計"), font=BOLD),
            _number(sheet, publication.count(c.contacts, "contacts")),
            _number(sheet, publication.count(c.persons, "persons")),
        ]
    )
    _notes(
        sheet,
        [
            _("実人数は重複を除いた人数のため、方法別の実人数の合計は全体の実人数と一致しません。"),
            _(
                "居場所等と就労訓練の場は、基準日に開設していた社会資源（開設日から廃止日の前日まで。県全域のものを含む）を、その日の種別で数えた数です。"
            ),
            *_suppression_notes(publication),
        ],
    )


def _programme(wb: Workbook, report: Report, publication: Publication) -> None:
    """The programme's figures (programme.selectors.programme_figures). Counts of people and
    attendance are suppressed like the rest when published; counts of places, municipalities
    and events are shown as they are."""
    p = report.programme
    if p is None:
        return
    sheet = SafeSheet(wb.create_sheet(str(SHEET_PROGRAMME)))
    titles = [_("項目"), _("実績"), _("単位")]
    header_row = 3
    _setup(sheet, titles=titles, widths=[52, 11, 8], header_row=header_row)
    _title_rows(sheet, report, _("県の取組（実態把握・スーパーバイズ・研修・広報）"), publication)
    sheet.header(titles)
    person, case, place = pgettext("unit", "人"), pgettext("unit", "件"), pgettext("unit", "か所")
    rows: list[tuple[str, int | str | None, str]] = [
        (_("実態把握名簿に登録した人数"), publication.count(p.survey_identified), person),
        (_("アウトリーチで本人・家族に会えた人数"), publication.count(p.survey_reached), person),
        (_("実態把握から相談につながった人数"), publication.count(p.survey_to_case), person),
        (_("スーパーバイズの依頼"), publication.count(p.supervision_requests), case),
        (_("スーパーバイズの実施"), publication.count(p.supervisions_given), case),
        (
            _("支援を受けてケース会議を実施した市町村"),
            p.supported_meeting_municipalities,
            pgettext("unit", "市町村"),
        ),
        (_("研修・普及啓発の開催"), p.training_events, pgettext("unit", "回")),
        (_("研修・普及啓発の参加人数"), publication.count(p.training_attendance), person),
        (_("広報（リーフレット・ポスター・記事・ウェブ）"), p.publicity_actions, case),
        (_("県が支援している居場所"), p.supported_ibasho, place),
        (_("県が支援している就労支援の場"), p.supported_work_sites, place),
    ]
    for label, value, unit in rows:
        sheet.ws.append([sheet.cell(label), _number(sheet, value), sheet.cell(unit)])

    def table(
        title: str,
        heads: list[str],
        labels: list[str],
        columns: list[list[int]],
        counted: list[bool],
    ) -> None:
        """`counted`: which columns count people (suppressed when published)."""
        sheet.ws.append([])
        sheet.ws.append([_styled(sheet, title, font=BOLD)])
        sheet.header(heads)
        hidden = [
            suppress(c, threshold=publication.threshold) if publication.public and k else None
            for c, k in zip(columns, counted, strict=True)
        ]
        for n, label in enumerate(labels):
            cells = [h.cell(n) if h else c[n] for c, h in zip(columns, hidden, strict=True)]
            sheet.ws.append([sheet.cell(label), *[_number(sheet, v) for v in cells]])

    routes = p.route_rows
    table(
        _("新規相談の相談経路"),
        [_("相談経路"), _("件数")],
        [label for _v, label, _n in routes],
        [[n for _v, _label, n in routes]],
        [True],
    )
    by_j = p.training_by_jurisdiction
    table(
        _("研修・普及啓発（管轄別）"),
        [_("管轄"), _("開催"), _("参加人数")],
        [j.name for j in by_j],
        [[j.events for j in by_j], [j.attendance for j in by_j]],
        [False, True],
    )
    if p.by_municipality:
        m = p.by_municipality
        table(
            _("市町村別"),
            [_("市町村"), _("名簿"), _("会えた"), _("相談へ"), _("SV依頼"), _("SV実施")],
            [row.name for row in m],
            [
                [row.identified for row in m],
                [row.reached for row in m],
                [row.to_case for row in m],
                [row.supervision_requests for row in m],
                [row.supervisions_given for row in m],
            ],
            [True, True, True, False, False],
        )
    without = p.jurisdictions_without_training
    _notes(
        sheet,
        [
            _("「会えた」: 年度内のアウトリーチで本人または家族に会えた名簿の数。"),
            _("「相談へ」: 名簿からつながった相談ケースのうち、受理日が年度内のもの。"),
            _("県が支援している場: 県の支援期間が年度に重なる居場所・就労支援の場。"),
            *(
                [_("研修の開催がなかった管轄: %(names)s") % {"names": "、".join(without)}]
                if without
                else []
            ),
            *_suppression_notes(publication),
        ],
    )


def kpi_workbook(report: Report, *, public: bool = False, threshold: int | None = None) -> Workbook:
    """The workbook of a report (not yet saved: call `.save(path_or_file)` once).

    `public`: publication mode; `threshold`: counts below it are hidden there (default: the
    `KPI_PUBLIC_SUPPRESS_BELOW` setting).
    """
    if threshold is None:
        threshold = settings.KPI_PUBLIC_SUPPRESS_BELOW
    publication = plan_publication(report, public=public, threshold=threshold)
    wb = new_workbook()
    _summary(wb, report, publication)
    _areas(wb, report, publication)
    _monthly(wb, report, publication)
    _secondary(wb, report, publication)
    _programme(wb, report, publication)
    return wb


def workbook_file_name(report: Report, *, public: bool) -> str:
    """`KPI報告_R5_高知県_20231231.xlsx` (公表用 added in publication mode)."""
    mode = "_公表用" if public else ""
    year = short_label(report.fiscal_year)
    return f"KPI報告_{year}_{report.scope.name}_{report.as_of:%Y%m%d}{mode}.xlsx"
