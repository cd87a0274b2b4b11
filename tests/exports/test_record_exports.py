"""Record exports: admins only, the list filters honoured, personal data only with a reason,
large exports in the background with progress, files only for their requester."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from cases.models import Case
from core.models import Municipality
from exports.models import ExportJob
from tests.factories import CaseFactory, ConsultationFactory, PersonFactory

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path
    settings.TASKS = IMMEDIATE
    return tmp_path


def rows_of(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def start(client, kind: str, query: str = "", **extra):
    return client.post(reverse("exports:start"), {"kind": kind, "query": query, **extra})


@pytest.fixture
def two_cities(kochi_city):
    aki = Municipality.objects.get(code="392031")
    kochi_case = CaseFactory(person=PersonFactory(name="高知 花子", kana="こうち はなこ"))
    ConsultationFactory(case=kochi_case, notes="高知の相談内容")
    aki_case = CaseFactory(person=PersonFactory(municipality=aki, name="安芸 次郎"))
    ConsultationFactory(case=aki_case, notes="安芸の相談内容")
    return kochi_case, aki_case


def test_small_export_is_an_attachment_without_personal_data(
    login, admin_user, private_root, two_cities
) -> None:
    response = start(login(admin_user), "consultations")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    rows = rows_of(response.getvalue())
    header = rows[0]
    assert "氏名" not in header and "内容" not in header and "ふりがな" not in header
    assert len(rows) == 3
    body = repr(rows)
    assert "高知 花子" not in body and "高知の相談内容" not in body
    event = AuditEvent.objects.get(action="export")
    assert event.row_count == 2
    assert event.filters["include_personal"] is False


def test_export_honours_the_case_list_filters(login, admin_user, private_root, two_cities) -> None:
    kochi_case, _aki = two_cities
    query = f"municipality={kochi_case.municipality_id}"
    response = start(login(admin_user), "consultations", query)
    rows = rows_of(response.getvalue())
    assert [r[0] for r in rows[1:]] == [kochi_case.number]
    event = AuditEvent.objects.get(action="export")
    assert event.filters["municipality"] == kochi_case.municipality_id
    cases = rows_of(start(login(admin_user), "cases", query).getvalue())
    assert [r[0] for r in cases[1:]] == [kochi_case.number]


def test_personal_data_needs_a_reason(login, admin_user, private_root, two_cities) -> None:
    client = login(admin_user)
    refused = start(client, "consultations", include_personal="on", reason="  ")
    assert refused.status_code == 400
    assert "理由を入力してください" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()
    response = start(client, "consultations", include_personal="on", reason="事故報告のため")
    body = repr(rows_of(response.getvalue()))
    assert "高知 花子" in body and "高知の相談内容" in body
    event = AuditEvent.objects.get(action="export")
    assert event.reason == "事故報告のため"
    assert event.filters["include_personal"] is True


def test_meeting_minutes_are_not_in_a_default_export(login, admin_user, private_root) -> None:
    from tests.factories import CaseMeetingFactory

    CaseMeetingFactory(minutes="極秘の議事録")
    body = repr(rows_of(start(login(admin_user), "meetings").getvalue()))
    assert "極秘の議事録" not in body


def test_an_admin_of_another_prefecture_exports_no_kochi_rows(
    login, admin_user, private_root, two_cities
) -> None:
    admin_user.prefecture_code = "36"
    admin_user.save()
    rows = rows_of(start(login(admin_user), "consultations").getvalue())
    assert rows[1:] == []


def test_large_export_runs_in_the_background_and_only_its_requester_downloads(
    login,
    admin_user,
    private_root,
    settings,
    two_cities,
    django_user_model,
    django_capture_on_commit_callbacks,
) -> None:
    settings.EXPORT_BACKGROUND_THRESHOLD = 1
    owner = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(owner, "consultations")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.done_rows, job.total_rows) == ("done", 2, 2)
    status = owner.get(reverse("exports:job_status", args=[job.pk])).json()
    assert status["finished"] is True and status["percent"] == 100
    page = owner.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert reverse("exports:job_download", args=[job.pk]) in page
    download = owner.get(reverse("exports:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert "no-store" in download["Cache-Control"]
    assert len(rows_of(download.getvalue())) == 3
    # Audited when it was asked for, and again when its file was downloaded.
    assert AuditEvent.objects.filter(action="export").count() == 2
    assert AuditEvent.objects.filter(
        action="export", object_type="exports.exportjob", object_id=str(job.pk)
    ).exists()

    other = django_user_model.objects.create_user("admin2", role="admin", prefecture_code="39")
    other.is_staff = other.is_superuser = True
    other.save()
    second = login(other)
    for name in ("exports:job", "exports:job_status", "exports:job_download"):
        assert second.get(reverse(name, args=[job.pk])).status_code == 404


def test_an_expired_file_is_gone(
    login, admin_user, private_root, settings, two_cities, django_capture_on_commit_callbacks
) -> None:
    from exports.services import export_jobs_expire

    settings.EXPORT_BACKGROUND_THRESHOLD = 1
    client = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        start(client, "consultations")
    assert (private_root / "exports" / f"{ExportJob.objects.get().pk}.xlsx").exists()
    job = ExportJob.objects.get()
    assert export_jobs_expire(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not (private_root / "exports" / f"{job.pk}.xlsx").exists()
    assert client.get(reverse("exports:job_download", args=[job.pk])).status_code == 404


def test_progress_page_refreshes_without_javascript_while_running(
    login, admin_user, private_root
) -> None:
    job = ExportJob.objects.create(
        requested_by=admin_user, kind="consultations", total_rows=10, done_rows=4,
        status=ExportJob.Status.RUNNING, expires_at=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip
    body = login(admin_user).get(reverse("exports:job", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body
    assert 'value="4"' in body and "40" in body


def test_round_trip_export_import_gives_the_same_k1(login, admin_user, private_root) -> None:
    """Export consultations with personal data, empty the database, import: same K1."""
    from exports.ledger import file_digest, ledger_parse
    from exports.ledger_write import ledger_import
    from kpi import aggregates
    from kpi.scopes import prefecture_scope
    from kpi.selectors import kpi_report

    for day in (dt.date(2023, 4, 3), dt.date(2023, 9, 1), dt.date(2024, 3, 31)):
        case = CaseFactory(intake_date=day, person=PersonFactory(kana="たなか"))
        ConsultationFactory(case=case, date=day, method="phone", duration_minutes=None)
        ConsultationFactory(case=case, date=day + dt.timedelta(days=1), method="visit")
    scope = prefecture_scope("39")
    before = kpi_report(2023, scope, as_of=dt.date(2024, 3, 31))
    data = start(
        login(admin_user), "consultations", include_personal="on", reason="別の環境への移行のため"
    ).getvalue()
    Case.objects.all().delete()
    aggregates.rebuild()  # the database emptied behind the services: its counters too
    parsed = ledger_parse(stream=io.BytesIO(data), user=admin_user)
    assert parsed.ok, parsed.errors
    ledger_import(user=admin_user, parsed=parsed, file_name="x.xlsx", digest=file_digest(data))
    after = kpi_report(2023, scope, as_of=dt.date(2024, 3, 31))
    k1 = [i.value for i in before.indicators if i.key == "new_consultations"]
    assert k1 == [3]
    assert [i.value for i in after.indicators if i.key == "new_consultations"] == k1


def test_a_personal_export_needs_a_real_reason(login, admin_user) -> None:
    client = login(admin_user)
    refused = start(client, "consultations", include_personal="on", reason="a")
    assert refused.status_code == 400
    assert "6文字以上" in refused.context["form"].errors["reason"][0]
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_export_and_progress_pages_state_the_filter_in_words(login, admin_user) -> None:
    from core.models import Municipality

    aki = Municipality.objects.get(code="392031")
    client = login(admin_user)
    body = client.get(
        reverse("exports:index"), {"kind": "cases", "municipality": aki.pk, "status": "active"}
    ).content.decode()
    assert "市町村：安芸市" in body and "状況：支援中" in body
    notice = body[body.index("絞り込み条件を引き継いでいます") :].split("</div>")[0]
    assert "municipality=" not in notice
    job = ExportJob.objects.create(
        requested_by=admin_user,
        kind="cases",
        params={"municipality": [str(aki.pk)]},
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    body = client.get(reverse("exports:job", args=[job.pk])).content.decode()
    assert "条件：市町村：安芸市" in body
