"""The consultation ledger's columns (相談台帳): one leaf module, imported by the import
(exports/ledger.py) and the consultations export (exports/registry.py) alike. It imports no
other module of this app, so neither of those two depends on the other.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from cases.models import Case, Consultation, Person

MAX_ROWS = 50_000


@dataclass(frozen=True)
class LedgerColumn:
    key: str
    header: Any
    required: bool
    help: Any
    choices: dict[str, str] | None = None  # label → code
    width: float = 14


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {str(label): code for code, label in choices}


def ledger_columns() -> list[LedgerColumn]:
    """Built per call: labels follow the active language."""
    return [
        LedgerColumn(
            "case_ref",
            gettext_lazy("台帳ケース番号"),
            True,
            gettext_lazy("台帳でのケースの番号。同じケースの行は同じ番号にします。"),
            width=20,
        ),
        LedgerColumn(
            "row_ref",
            gettext_lazy("行番号"),
            True,
            gettext_lazy(
                "ケースの中で行ごとに変わらない番号（再取込で重複しないために使います）。"
            ),
            width=10,
        ),
        LedgerColumn(
            "municipality_code",
            gettext_lazy("市町村コード"),
            True,
            gettext_lazy("全国地方公共団体コード6桁（検査数字を含む）。例：392014"),
            width=12,
        ),
        LedgerColumn(
            "intake_date",
            gettext_lazy("受理日"),
            True,
            gettext_lazy("ケースの受理日（西暦の日付）。"),
            width=12,
        ),
        LedgerColumn(
            "intake_route",
            gettext_lazy("相談経路"),
            True,
            gettext_lazy("一覧から選びます。"),
            _labels(Case.Route.choices),
            16,
        ),
        LedgerColumn(
            "visitor",
            gettext_lazy("来談者"),
            True,
            gettext_lazy("一覧から選びます。"),
            _labels(Case.Visitor.choices),
            12,
        ),
        LedgerColumn(
            "name",
            gettext_lazy("氏名"),
            False,
            gettext_lazy("本人の氏名（未確認なら空欄）。"),
            width=16,
        ),
        LedgerColumn(
            "kana", gettext_lazy("ふりがな"), False, gettext_lazy("ひらがな・カタカナ。"), width=18
        ),
        LedgerColumn(
            "birth_year", gettext_lazy("生まれ年"), False, gettext_lazy("西暦4桁。"), width=10
        ),
        LedgerColumn(
            "sex",
            gettext_lazy("性別"),
            False,
            gettext_lazy("一覧から選びます。"),
            _labels(Person.Sex.choices),
            8,
        ),
        LedgerColumn(
            "date", gettext_lazy("相談日"), True, gettext_lazy("受理日以降の日付。"), width=12
        ),
        LedgerColumn(
            "method",
            gettext_lazy("方法"),
            True,
            gettext_lazy("一覧から選びます。"),
            _labels(Consultation.Method.choices),
            16,
        ),
        LedgerColumn(
            "with_whom",
            gettext_lazy("相手"),
            True,
            gettext_lazy("一覧から選びます。"),
            _labels(Consultation.WithWhom.choices),
            12,
        ),
        LedgerColumn(
            "duration_minutes",
            gettext_lazy("所要時間（分）"),
            False,
            gettext_lazy("来所・訪問・同行では必須。"),
            width=12,
        ),
        LedgerColumn("notes", gettext_lazy("内容"), False, gettext_lazy("相談の内容。"), width=50),
        LedgerColumn("next_action", gettext_lazy("次の対応"), False, "", width=24),
        LedgerColumn(
            "next_action_date",
            gettext_lazy("次の対応日"),
            False,
            gettext_lazy("相談日以降の日付。"),
            width=12,
        ),
    ]
