"""Finding 2: upload bombs. The bomb files are built here; the parse's peak memory is measured
(tracemalloc) and bounded, and the error page stays small.

- a 1 GiB cell, compressed to about a megabyte (the server grew by 2 GB);
- "billion laughs": nested XML entities in a 60 KB file (784 MB);
- a small file whose bad values, quoted back in full, made a 64 MiB error page.
"""

import io
import random
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse

from exports import ledger as ledger_module
from exports.ledger import ledger_parse
from tests.exports.test_ledger_import import ledger, row, upload

MiB = 1024 * 1024
# What a parse of a refused file may allocate at most (the limits keep it far below).
PEAK_LIMIT = 32 * MiB


def _rewrite(data: bytes, name: str, write: Callable[[zipfile.ZipFile], None]) -> bytes:
    """A copy of the .xlsx `data` with entry `name` written by `write` instead."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename == name:
                write(target)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def _entry_with(data: bytes, text: str) -> str:
    """The archive entry (a worksheet, or the shared strings) that holds `text`."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found = [n for n in archive.namelist() if text.encode() in archive.read(n)]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def gigabyte_cell(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger whose 内容 cell on row 2 is 1 GiB of 'A'."""
    base = ledger(row(**{"内容": "PLACEHOLDER"}))
    name = _entry_with(base, "PLACEHOLDER")
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        original = archive.read(name).decode()
    head, tail = original.split("PLACEHOLDER")

    def write(target: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = b"A" * MiB
        with target.open(info, "w", force_zip64=True) as handle:
            handle.write(head.encode())
            for _ in range(1024):
                handle.write(chunk)
            handle.write(tail.encode())

    path = tmp_path_factory.mktemp("bombs") / "gigabyte-cell.xlsx"
    path.write_bytes(_rewrite(base, name, write))
    return path


def billion_laughs() -> bytes:
    base = ledger(row(**{"内容": "PLACEHOLDER"}))
    name = _entry_with(base, "PLACEHOLDER")
    entities = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        original = archive.read(name).decode()
    if original.startswith("<?xml"):
        original = original.split("?>", 1)[1]
    bomb = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [{"".join(entities)}]>'
        + original.replace("PLACEHOLDER", "&lol9;")
    )
    return _rewrite(base, name, lambda target: target.writestr(name, bomb))


def huge_error_page() -> bytes:
    """Many rows whose 相談経路 (a choice) is a long text: each error used to quote it whole.
    (Varied text, so that the file's compression looks like a real ledger's.)"""
    chooser = random.Random(16)
    letters = [chr(c) for c in range(0x4E00, 0x4E00 + 2000)]
    return ledger(
        *[
            row(**{"行番号": n, "相談経路": "".join(chooser.choices(letters, k=500))})
            for n in range(1, 2_001)
        ]
    )


def peak_of_parse(data: bytes, user) -> tuple[int, object]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        parsed = ledger_parse(stream=io.BytesIO(data), user=user)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"peak of the parse: {peak / MiB:.1f} MiB ({len(data) / 1024:.0f} KB file)")
    return peak, parsed


def test_the_gigabyte_cell_file_is_refused_before_parsing(gigabyte_cell: Path, counselor) -> None:
    data = gigabyte_cell.read_bytes()
    assert len(data) < 5 * MiB  # a small upload…
    with zipfile.ZipFile(gigabyte_cell) as archive:  # …that inflates to over a gigabyte
        assert sum(i.file_size for i in archive.infolist()) > 1024 * MiB
    peak, parsed = peak_of_parse(data, counselor)
    assert peak < PEAK_LIMIT + len(data), f"peak {peak / MiB:.1f} MiB"
    assert not parsed.ok
    assert "展開後100MBまで" in parsed.errors[0].message


def test_a_suspicious_compression_ratio_is_refused(counselor) -> None:
    base = ledger(row(**{"内容": "PLACEHOLDER"}))
    name = _entry_with(base, "PLACEHOLDER")

    def write(target: zipfile.ZipFile) -> None:
        target.writestr(name, "<x>" + "A" * (20 * MiB) + "</x>", zipfile.ZIP_DEFLATED)

    parsed = ledger_parse(stream=io.BytesIO(_rewrite(base, name, write)), user=counselor)
    assert not parsed.ok
    assert "圧縮のされ方が異常" in parsed.errors[0].message


def test_billion_laughs_is_refused(counselor) -> None:
    data = billion_laughs()
    assert len(data) < 100_000
    peak, parsed = peak_of_parse(data, counselor)
    assert peak < PEAK_LIMIT, f"peak {peak / MiB:.1f} MiB"
    assert not parsed.ok
    assert "読めません" in parsed.errors[0].message


def test_a_cell_over_the_cap_is_refused_without_quoting_it(counselor) -> None:
    data = ledger(row(**{"内容": "秘" * (ledger_module.MAX_CELL_CHARS + 1)}))
    parsed = ledger_parse(stream=io.BytesIO(data), user=counselor)
    assert not parsed.ok
    [error] = parsed.errors
    assert error.column == "内容"
    assert "長すぎます" in error.message and "秘秘" not in error.message


def test_the_row_count_is_capped_with_a_message(counselor, monkeypatch) -> None:
    monkeypatch.setattr(ledger_module, "MAX_ROWS", 3)
    data = ledger(*[row(**{"行番号": n}) for n in range(1, 6)])
    parsed = ledger_parse(stream=io.BytesIO(data), user=counselor)
    assert not parsed.ok
    assert any("3行まで" in e.message for e in parsed.errors)


def test_the_error_page_stays_small_and_quotes_only_an_excerpt(login, counselor) -> None:
    data = huge_error_page()
    peak, _parsed = peak_of_parse(data, counselor)
    assert peak < 64 * MiB, f"peak {peak / MiB:.1f} MiB"
    response = upload(login(counselor), data)
    assert response.status_code == 400
    body = response.content.decode()
    # The old page quoted all 2,000 values of 500 characters: over a million characters.
    assert len(body) < 200_000, f"error page of {len(body):,} characters"
    assert "エラーが多いため" in body


def test_the_upload_view_refuses_the_gigabyte_cell_file(login, counselor, gigabyte_cell) -> None:
    file = io.BytesIO(gigabyte_cell.read_bytes())
    file.name = "daicho.xlsx"
    response = login(counselor).post(reverse("exports:ledger_upload"), {"file": file})
    assert response.status_code == 400
    assert "展開後100MBまで" in response.content.decode()
