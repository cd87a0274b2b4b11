import csv

import pytest
from django.core.exceptions import ValidationError

from core.codes import check_digit, is_valid_code, validate_municipality_code
from core.services import KOCHI_CSV


def kochi_codes() -> list[str]:
    with KOCHI_CSV.open(encoding="utf-8") as f:
        return [row["code"] for row in csv.DictReader(f)]


def test_all_34_kochi_codes_have_a_valid_check_digit() -> None:
    codes = kochi_codes()
    assert len(codes) == 34
    assert all(is_valid_code(code) for code in codes)


def test_check_digit_of_kochi_city() -> None:
    # 3*6 + 9*5 + 2*4 + 0*3 + 1*2 = 73; 73 % 11 = 7; (11 - 7) % 10 = 4
    assert check_digit("39201") == 4


@pytest.mark.parametrize("code", kochi_codes())
def test_a_wrong_last_digit_is_rejected(code: str) -> None:
    wrong = code[:5] + str((int(code[5]) + 1) % 10)
    assert not is_valid_code(wrong)
    with pytest.raises(ValidationError) as exc:
        validate_municipality_code(wrong)
    assert exc.value.code == "check_digit"


@pytest.mark.parametrize("value", ["39201", "3920144", "39201a", "３９２０１４", ""])
def test_malformed_codes_are_rejected(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_municipality_code(value)
