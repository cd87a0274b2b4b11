"""Kana (ふりがな) rules: what the kana field accepts, and the key used to compare names.

Counselors type readings in hiragana or katakana, with or without a space between family and
given name; the duplicate check must see 「ヤマダ タロウ」 and 「やまだたろう」 as the same.
"""

import re
import unicodedata

# Hiragana, katakana (incl. small kana and ゔ/ヴ), the long vowel mark, the iteration marks,
# the middle dot sometimes used between names, and spaces (half- and full-width).
_KANA_RE = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc\u30fd\u30fe\u30fb \u3000]*$")
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def is_kana(value: str) -> bool:
    """Whether a value holds only kana, spaces and the long vowel mark (half-width is folded)."""
    return bool(_KANA_RE.match(unicodedata.normalize("NFKC", value)))


def kana_clean(value: str) -> str:
    """The value as stored: half-width katakana folded to full-width, spaces collapsed."""
    value = unicodedata.normalize("NFKC", value).replace("\u3000", " ")
    return " ".join(value.split())


def kana_key(value: str) -> str:
    """The comparison key: no spaces or middle dots, katakana folded to hiragana."""
    value = unicodedata.normalize("NFKC", value)
    value = "".join(ch for ch in value if not ch.isspace() and ch != "・")
    return value.translate(_KATAKANA_TO_HIRAGANA)
