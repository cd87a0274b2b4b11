"""全国地方公共団体コード: five digits and a check digit.

check = (11 - sum(d_i * w_i) % 11) % 10 with weights 6, 5, 4, 3, 2.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    total = sum(int(d) * w for d, w in zip(first_five, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_code(code: str) -> bool:
    return (
        len(code) == 6
        and code.isascii()
        and code.isdigit()
        and (check_digit(code[:5]) == int(code[5]))
    )


def validate_municipality_code(value: str) -> None:
    if not (len(value) == 6 and value.isascii() and value.isdigit()):
        raise ValidationError(_("地方公共団体コードは6桁の数字で入力してください。"), code="format")
    if not is_valid_code(value):
        raise ValidationError(
            _("地方公共団体コード「%(code)s」の検査数字が正しくありません。"),
            code="check_digit",
            params={"code": value},
        )
