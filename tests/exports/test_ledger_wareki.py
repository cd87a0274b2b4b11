"""The ledger import reads 和暦 as municipal ledgers write it: 受理日・相談日 as R5.5.1 or
令和5年5月1日, 生まれ年 as S50 or 昭和50 (the same parser as the forms, core.wareki)."""

import datetime as dt
import io

import pytest

from exports.ledger import ledger_parse
from tests.exports.test_ledger_import import ledger, row


def parse(data: bytes, user):
    return ledger_parse(stream=io.BytesIO(data), user=user)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("intake", "consulted", "born"),
    [
        ("R5.5.1", "R5.5.20", "S50"),
        ("令和5年5月1日", "令和5年5月20日", "昭和50"),
        ("2023/5/1", "2023-05-20", "1975"),
    ],
)
def test_ledger_reads_wareki_dates_and_birth_years(counselor, intake, consulted, born) -> None:
    data = ledger(
        row(**{"受理日": intake, "相談日": intake, "生まれ年": born}),
        row(**{"行番号": 2, "受理日": intake, "相談日": consulted, "生まれ年": born}),
    )
    parsed = parse(data, counselor)
    assert not parsed.errors, parsed.errors
    values = [r.values for r in parsed.rows]
    assert [v["date"] for v in values] == [dt.date(2023, 5, 1), dt.date(2023, 5, 20)]
    assert {v["intake_date"] for v in values} == {dt.date(2023, 5, 1)}
    assert {v["birth_year"] for v in values} == {1975}


@pytest.mark.django_db
def test_ledger_names_an_unreadable_wareki_cell(counselor) -> None:
    parsed = parse(ledger(row(**{"受理日": "H31.5.1", "生まれ年": "S70"})), counselor)
    messages = {(e.column, e.message) for e in parsed.errors}
    assert ("受理日", "日付として読めません（例：2023/04/01、R5.4.1、令和5年4月1日）。") in messages
    assert ("生まれ年", "生まれ年として読めません（例：1985、S60、昭和60）。") in messages
