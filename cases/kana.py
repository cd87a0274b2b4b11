"""Kana (ふりがな) rules and the keys used to compare names.

Counselors type readings in hiragana or katakana, with or without a space between family and
given name; the duplicate check must see 「ヤマダ タロウ」 and 「やまだたろう」 as the same.
Names in kanji come in variant forms (異体字: 髙橋/高橋, 渡邊/渡辺): `name_key` folds the
common ones so that search and the duplicate check treat them as one.
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


# Variant kanji seen in Japanese names → the form they are compared as. Each group is folded
# to one member; the list is the usual 旧字体・異体字 of family and given names, not all of
# Unicode. NFKC already folds most compatibility ideographs; 﨑 (U+FA11) is not among them.
_VARIANT_GROUPS = (
    "高髙",
    "崎﨑嵜碕",
    "辺邊邉",
    "斉齋齊斎",
    "沢澤",
    "浜濱濵",
    "島嶋嶌",
    "広廣",
    "国國",
    "桜櫻",
    "真眞",
    "徳德",
    "恵惠",
    "瀬瀨",
    "竜龍",
    "実實",
    "栄榮",
    "寿壽",
    "蔵藏",
    "与與",
    "来來",
    "浅淺",
    "関關",
    "富冨",
    "峰峯",
    "野埜",
    "館舘",
    "条條",
    "円圓",
    "会會",
    "学學",
    "黒黑",
    "万萬",
    "豊豐",
    "礼禮",
    "伝傳",
    "槙槇",
    "桑桒",
    "吉𠮷",
    "徳悳",
    "衛衞",
    "沖冲",
    "芦蘆",
    "籠篭",
    "鉄鐵",
    "亀龜",
    "杉椙",
    "柳栁",
    "桧檜",
    "弥彌",
    "祢禰",
)
_VARIANTS = {ord(ch): group[0] for group in _VARIANT_GROUPS for ch in group[1:]}
# Ideographic variation selectors (IVS) and standardized variation selectors.
_SELECTORS_RE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def name_key(value: str) -> str:
    """The key a name is searched and compared by: NFKC, no spaces or middle dots, common
    variant kanji folded (髙→高, 﨑→崎, 邊/邉→辺 …), katakana folded to hiragana."""
    value = _SELECTORS_RE.sub("", unicodedata.normalize("NFKC", value))
    value = "".join(ch for ch in value if not ch.isspace() and ch != "・")
    return value.translate(_VARIANTS).translate(_KATAKANA_TO_HIRAGANA)
