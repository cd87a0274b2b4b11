"""The English UI: pages chosen with the language switch read in English, and the catalog is
complete (every msgid translated, nothing fuzzy, placeholders kept, the .mo compiled from the .po).
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.fiscal import current_fiscal_year
from exports.ledger import ledger_columns
from tests.factories import CaseFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert response["Content-Language"] == "en"
    return body


@pytest.mark.django_db
def test_login_page_is_in_english(english) -> None:
    body = page(english.get(reverse("accounts:login")))
    assert "Hikikomori Support Case Management" in body
    assert "Log in" in body
    assert "ログイン" not in body
    assert "ひきこもり支援ケース管理" not in body


@pytest.mark.django_db
def test_home_shows_english_navigation_and_panels(english, counselor) -> None:
    english.force_login(counselor)
    body = page(english.get(reverse("home")))
    for label in ("Home", "Cases", "Case meetings", "Resources", "KPI", "Log out", "Hello, "):
        assert label in body, label
    for japanese in ("ホーム", "相談ケース", "ログアウト", "こんにちは"):
        assert japanese not in body, japanese


@pytest.mark.django_db
def test_case_list_is_in_english_for_a_counselor(english, counselor, kochi_city) -> None:
    CaseFactory.create_batch(2, person__municipality=kochi_city)
    english.force_login(counselor)
    body = page(english.get(reverse("cases:list")))
    for text in ("Case number", "Intake date", "In support", "Showing 1–2 of 2", "New intake"):
        assert text in body, text
    for japanese in ("ケース番号", "受理日", "支援中"):
        assert japanese not in body, japanese


@pytest.mark.django_db
def test_dashboard_is_in_english_with_english_units_and_dates(english, prefecture_staff) -> None:
    english.force_login(prefecture_staff)
    body = page(english.get(reverse("kpi:dashboard")))
    fy = current_fiscal_year()
    for text in (
        "KPI (progress towards goals)",
        "New consultations",
        "Municipalities holding case meetings",
        "Progress",
        ">Apr<",  # the chart's month ticks, not "4月"
        "By municipality",
        " municipalities",  # the unit, not the column heading "Municipality"
        f"April {fy}",  # month rows of the chart tables, not "2026年4月"
        "as of ",
    ):
        assert text in body, text
    for japanese in ("目標", "市町村別の状況", "判定の基準", "日目", f"{fy}年4月"):
        assert japanese not in body, japanese


@pytest.mark.django_db
def test_error_page_is_in_english(english, counselor) -> None:
    english.force_login(counselor)
    response = english.get("/cases/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Page not found" in body
    assert "ページが見つかりません" not in body


@pytest.mark.django_db
def test_japanese_stays_the_default_with_japanese_dates(client, prefecture_staff) -> None:
    client.force_login(prefecture_staff)
    body = client.get(reverse("kpi:dashboard")).content.decode()
    assert '<html lang="ja">' in body
    assert f"{current_fiscal_year()}年4月" in body
    assert "市町村別の状況" in body


# The catalog ------------------------------------------------------------------------------


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def parse_po(text: str) -> list[Entry]:
    """Just enough of the PO format for makemessages' output (no polib in the project)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgid or entry.msgstr or entry.msgid_plural:
            entries.append(entry)
        entry, target = Entry(), None

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            value, (name, index) = ast.literal_eval(line), target
        else:
            value = ast.literal_eval(rest)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            name, index = ("msgstr", int(match.group(1))) if match else (keyword, 0)
            if name in ("msgctxt", "msgid") and (entry.msgid or entry.msgstr):
                finish()
            target = (name, index)
        if name == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
        else:
            setattr(entry, name, (getattr(entry, name) or "") + value)
    finish()
    return entries


@pytest.fixture(scope="module")
def catalog() -> list[Entry]:
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    return [e for e in entries if e.msgid]  # without the header


def test_catalog_has_every_ui_string(catalog) -> None:
    # A sanity floor: the UI has several hundred strings; a truncated file would show here.
    assert len(catalog) > 800
    assert any(e.msgid == "相談ケース" and e.msgstr[0] == "Cases" for e in catalog)


def test_catalog_has_no_empty_fuzzy_or_obsolete_entry(catalog) -> None:
    problems = [
        e.msgid
        for e in catalog
        if "fuzzy" in e.flags
        or e.obsolete
        or not e.msgstr
        or any(not value.strip() for value in e.msgstr.values())
    ]
    assert problems == []


def test_plural_entries_have_both_english_forms(catalog) -> None:
    header = parse_po(PO_PATH.read_text(encoding="utf-8"))[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]
    plurals = [e for e in catalog if e.msgid_plural is not None]
    assert plurals
    assert all(sorted(e.msgstr) == [0, 1] for e in plurals)


def test_translations_keep_every_placeholder(catalog) -> None:
    problems = []
    for e in catalog:
        wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
        for value in e.msgstr.values():
            if set(PLACEHOLDER.findall(value)) != wanted:
                problems.append((e.msgid, value))
    assert problems == []


def test_translations_are_english(catalog) -> None:
    # Japanese may appear only where it is data quoted in the text (era labels, sheet values).
    allowed = re.compile(r"令和\d+年度|市・町・村・区|「ー」|“ー”")
    leftovers = [
        (e.msgid, value)
        for e in catalog
        for value in e.msgstr.values()
        if JAPANESE.search(allowed.sub("", value))
    ]
    assert leftovers == []


def test_compiled_catalog_matches_the_po(catalog) -> None:
    with MO_PATH.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for e in catalog:
        if e.msgid_plural is None:
            got = compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid)
            assert got == e.msgstr[0], f"{e.msgid}: run compilemessages"
        else:
            for n, form in ((1, 0), (2, 1)):
                assert compiled.ngettext(e.msgid, e.msgid_plural, n) == e.msgstr[form], e.msgid


def test_english_ledger_drop_down_lists_fit_excel() -> None:
    # The template's drop-downs are comma-joined labels in a 255-character Excel formula.
    with translation.override("en"):
        for column in ledger_columns():
            if column.choices:
                assert not any("," in label for label in column.choices), column.header
                assert len(",".join(column.choices)) <= 255, column.header
                assert not any(JAPANESE.search(label) for label in column.choices), column.header
