"""Ledger import: template, preview with every row's errors, all-or-nothing, no duplicates."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from cases.models import Case, Consultation
from exports.ledger import ledger_columns
from exports.models import ExportJob, ImportBatch

HEADERS = ["台帳ケース番号", "行番号", "市町村コード", "受理日", "相談経路", "来談者", "氏名",
           "ふりがな", "生まれ年", "性別", "相談日", "方法", "相手", "所要時間（分）", "内容",
           "次の対応", "次の対応日"]  # fmt: skip


def row(**overrides):
    values = {
        "台帳ケース番号": "A-1", "行番号": 1, "市町村コード": "392014",
        "受理日": dt.date(2023, 5, 1), "相談経路": "家族", "来談者": "家族", "氏名": "山田 一郎",
        "ふりがな": "やまだ いちろう", "生まれ年": 1975, "性別": "男性",
        "相談日": dt.date(2023, 5, 1), "方法": "電話", "相手": "家族", "所要時間（分）": 30,
        "内容": "母から電話", "次の対応": "", "次の対応日": None,
    }  # fmt: skip
    values.update(overrides)
    return [values[h] for h in HEADERS]


def ledger(*rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GOOD = ledger(
    row(),
    row(**{"行番号": 2, "相談日": dt.date(2023, 5, 20), "方法": "訪問（アウトリーチ）"}),
    row(**{"台帳ケース番号": "A-2", "行番号": 1, "氏名": "", "ふりがな": "", "生まれ年": None,
           "受理日": dt.date(2023, 6, 1), "相談日": dt.date(2023, 6, 1), "方法": "来所"}),
)  # fmt: skip


IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path
    settings.TASKS = IMMEDIATE


def confirm_now(client, token: str):
    """POST the confirm and run the queued import job at once (for tests elsewhere)."""
    from django.test import TestCase, override_settings

    with override_settings(TASKS=IMMEDIATE), TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("exports:ledger_confirm"), {"token": token})


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    """POST the confirm; the queued import job runs when the request's transaction commits."""

    def post(client, token: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("exports:ledger_confirm"), {"token": token})

    return post


def upload(client, data: bytes, name: str = "daicho.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("exports:ledger_upload"), {"file": file})


def test_template_has_the_documented_columns(login, counselor) -> None:
    response = login(counselor).get(reverse("exports:ledger_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    assert [c.value for c in workbook.worksheets[0][1]] == HEADERS
    assert [str(c.header) for c in ledger_columns()] == HEADERS
    # Drop-down lists for 相談経路, 来談者, 性別, 方法, 相手.
    validations = workbook.worksheets[0].data_validations.dataValidation
    assert sorted(str(v.sqref).split(":")[0] for v in validations) == ["E2", "F2", "J2", "L2", "M2"]
    guide = [r[0] for r in workbook["説明"].iter_rows(min_row=2, values_only=True)]
    assert guide == HEADERS


def test_upload_previews_then_confirm_imports_everything(login, counselor, confirm) -> None:
    client = login(counselor)
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    assert "エラーはありません" in preview.content.decode()
    assert not Case.objects.exists()  # nothing written by the preview
    token = preview.context["token"]
    response = confirm(client, token)
    job = ExportJob.objects.get(kind="ledger_import")
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.done_rows, job.total_rows) == ("done", 3, 3)
    page = client.get(response["Location"]).content.decode()
    assert "新規ケース2件、新規相談記録3件" in page
    assert Case.objects.count() == 2
    assert Consultation.objects.count() == 3
    case = Case.objects.get(intake_date=dt.date(2023, 5, 1))
    assert case.number.startswith("高知市-R5-")
    assert case.person.kana == "やまだ いちろう"
    assert sorted(case.consultations.values_list("method", flat=True)) == ["home_visit", "phone"]
    batch = ImportBatch.objects.get()
    assert (batch.cases_created, batch.consultations_created, batch.rows_existing) == (2, 3, 0)
    assert AuditEvent.objects.filter(action="import", row_count=3).count() == 1
    history = client.get(reverse("exports:ledger_history"))
    assert "daicho.xlsx" in history.content.decode()


def test_uploading_the_same_file_again_creates_no_duplicates(login, counselor, confirm) -> None:
    client = login(counselor)
    for _ in range(2):
        preview = upload(client, GOOD)
        confirm(client, preview.context["token"])
    assert Case.objects.count() == 2
    assert Consultation.objects.count() == 3
    last = ImportBatch.objects.first()
    assert (last.cases_created, last.consultations_created, last.rows_existing) == (0, 0, 3)


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"市町村コード": "392015"}, "市町村コード", "検査数字"),
        ({"市町村コード": "392022"}, "市町村コード", "担当範囲外"),
        ({"方法": "伝書鳩"}, "方法", "選べません"),
        ({"相談日": dt.date(2023, 4, 1)}, "相談日", "受理日"),
        ({"受理日": None}, "受理日", "必須"),
        ({"ふりがな": "Yamada"}, "ふりがな", "ひらがな"),
        ({"方法": "来所", "所要時間（分）": None}, "所要時間（分）", "所要時間"),
        ({"受理日": "2023/13/45"}, "受理日", "日付"),
    ],
)
def test_every_bad_row_is_listed_with_its_row_number_and_nothing_is_written(
    login, counselor, overrides, column, message
) -> None:
    data = ledger(row(), row(**{"台帳ケース番号": "B-1", **overrides}))
    response = upload(login(counselor), data)
    assert response.status_code == 400
    errors = response.context["parsed"].errors
    assert [(e.row, e.column) for e in errors] == [(3, column)]
    assert message in errors[0].message
    assert "何も取り込んでいません" in response.content.decode()
    assert not Case.objects.exists()


def test_confirm_needs_the_previewed_upload(login, counselor) -> None:
    response = login(counselor).post(reverse("exports:ledger_confirm"), {"token": "forged"})
    assert response.status_code == 302
    assert not Case.objects.exists()


def test_prefecture_staff_cannot_import(login, prefecture_staff) -> None:
    assert upload(login(prefecture_staff), GOOD).status_code == 403


def test_command_dry_run_and_import(tmp_path, counselor) -> None:
    path = tmp_path / "daicho.xlsx"
    path.write_bytes(GOOD)
    out = io.StringIO()
    call_command("import_ledger", str(path), "--user", "counselor", "--dry-run", stdout=out)
    assert "3 rows" in out.getvalue()
    assert not Case.objects.exists()
    call_command("import_ledger", str(path), "--user", "counselor", stdout=out)
    assert Case.objects.count() == 2


def test_command_lists_errors_and_fails_writing_nothing(tmp_path, counselor) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(ledger(row(), row(**{"行番号": 2, "方法": "伝書鳩"})))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_ledger", str(path), "--user", "counselor", stderr=err)
    assert "3行目 方法" in err.getvalue()
    assert not Case.objects.exists()


def test_import_is_all_or_nothing_when_a_write_fails(
    login, counselor, monkeypatch, confirm
) -> None:
    client = login(counselor)
    preview = upload(client, GOOD)
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        raise RuntimeError("the database refused the rows")

    monkeypatch.setattr(Consultation.objects, "bulk_create", failing)
    response = confirm(client, preview.context["token"])
    assert response.status_code == 302
    assert calls["n"] == 1
    assert not Case.objects.exists()
    assert not ImportBatch.objects.exists()
    job = ExportJob.objects.get(kind="ledger_import")
    assert job.status == "failed"
    page = client.get(response["Location"]).content.decode()
    assert "予期しないエラーで中断しました" in page


def test_a_ledger_from_the_english_template_imports_under_the_japanese_ui(login, counselor) -> None:
    from django.utils import translation

    with translation.override("en"):
        columns = ledger_columns()
        english = [str(c.header) for c in columns]
        labels = {
            c.key: {code: label for label, code in (c.choices or {}).items()} for c in columns
        }
    assert english != HEADERS
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(english)
    values = dict(zip(HEADERS, row(), strict=True))
    by_header = dict(zip(HEADERS, [c.key for c in columns], strict=True))
    codes = {
        "相談経路": "family",
        "来談者": "family",
        "性別": "male",
        "方法": "phone",
        "相手": "family",
    }
    for header, code in codes.items():
        values[header] = labels[by_header[header]][code]
    sheet.append([values[h] for h in HEADERS])
    data = io.BytesIO()
    workbook.save(data)
    response = upload(login(counselor), data.getvalue())
    assert response.status_code == 200, response.context["parsed"].errors
    assert response.context["parsed"].rows[0].values["method"] == "phone"
