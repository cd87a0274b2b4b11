import pytest

from cases.kana import is_kana, kana_clean, kana_key


@pytest.mark.parametrize(
    "value", ["やまだ たろう", "ヤマダ　タロウ", "ゆうきー", "ｻﾄｳ ﾊﾅｺ", "ヴィ", ""]
)
def test_kana_field_accepts_hiragana_katakana_spaces_and_long_vowel(value: str) -> None:
    assert is_kana(value)


@pytest.mark.parametrize("value", ["山田", "yamada", "やまだ1", "やまだ・太郎"])
def test_kana_field_rejects_kanji_latin_and_digits(value: str) -> None:
    assert not is_kana(value)


def test_kana_key_ignores_spaces_and_katakana_hiragana_difference() -> None:
    assert kana_key("ヤマダ　タロウ") == "やまだたろう"
    assert kana_key("やまだ たろう") == "やまだたろう"
    assert kana_key("ｻﾄｳ ﾊﾅｺ") == "さとうはなこ"


def test_kana_clean_folds_half_width_and_collapses_spaces() -> None:
    assert kana_clean(" ｻﾄｳ　　ﾊﾅｺ ") == "サトウ ハナコ"
