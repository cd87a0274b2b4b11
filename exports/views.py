import io
import tempfile
import uuid
from types import SimpleNamespace
from typing import IO, Any

from django.contrib import messages
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import scope
from accounts.access import admin_view, deny, forbid, personal_data_view, prefecture_users
from accounts.types import AuthenticatedHttpRequest
from audit import labels
from audit.services import Action, audit_record
from core.excel import XLSX_CONTENT_TYPE
from core.models import Municipality
from exports import jobs
from exports.files import (
    StorageError,
    export_dir,
    private_root_writable,
    upload_dir,
    write_private,
)
from exports.forms import ExportForm, LedgerUploadForm
from exports.ledger import file_digest, ledger_parse, ledger_template
from exports.ledger_jobs import AlreadyImporting, duplicate_message, ledger_import_request
from exports.models import ExportJob, ImportBatch
from exports.registry import INCLUDE_VOIDED, KINDS, InvalidExportFilter
from exports.services import export_request


def filter_words(kind_key: str, params: Any) -> list[str]:
    """The carried-over list filter in words (「市町村：安芸市」), for the export and progress
    pages. `params` is a QueryDict or the job's stored dict."""
    kind = KINDS.get(kind_key)
    object_type = "platforms.casemeeting" if kind_key == "meetings" else "cases.case"
    if kind is None or kind.filtered is None:
        return []
    values: dict[str, Any]
    if isinstance(params, QueryDict):
        values = {k: params.getlist(k) for k in params if k not in ("page", "o", "kind")}
    else:
        values = {k: v for k, v in (params or {}).items() if k not in ("page", "o", "kind")}
    values = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in values.items()}
    events = [SimpleNamespace(filters=values)]
    ids = labels.municipality_ids(events)
    municipalities = Municipality.objects.in_bulk(ids) if ids else {}
    return labels.filters_text(object_type, values, municipalities)


def _attachment(handle: IO[bytes], file_name: str) -> FileResponse:
    response = FileResponse(
        handle, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


@admin_view
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    params = request.GET.copy()
    kind = params.pop("kind", ["consultations"])[-1]
    form = ExportForm(
        initial={"kind": kind if kind in KINDS else "consultations", "query": params.urlencode()}
    )
    return render(
        request,
        "exports/index.html",
        {
            "form": form,
            "jobs": _my_exports(request),
            "filters": params,
            "filter_words": filter_words(kind, params),
            "now": timezone.now(),
        },
    )


def _export_params(data: dict[str, Any]) -> QueryDict:
    """The list's filters, plus the explicit choice to include voided records."""
    params = QueryDict(data["query"] or "", mutable=True)
    params.pop(INCLUDE_VOIDED, None)
    if data.get("include_voided"):
        params[INCLUDE_VOIDED] = "1"
    return params


def _my_exports(request: AuthenticatedHttpRequest) -> Any:
    return ExportJob.objects.filter(requested_by=request.user).exclude(
        kind=ExportJob.Kind.LEDGER_IMPORT
    )[:10]


def _storage_failed(
    request: HttpRequest, template: str, context: dict[str, Any], error: StorageError
) -> HttpResponse:
    """A storage fault (disk full, read-only, no permission): the page again with the cause
    named, 503; the partial files are already removed."""
    return render(request, template, {**context, "storage_error": error.message}, status=503)


@admin_view
@require_POST
def start(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = ExportForm(request.POST)
    context = {"form": form, "jobs": _my_exports(request)}
    if not form.is_valid():
        return render(request, "exports/index.html", context, status=400)
    try:
        result = export_request(
            user=request.user,
            kind_key=form.cleaned_data["kind"],
            params=_export_params(form.cleaned_data),
            include_personal=form.cleaned_data["include_personal"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except InvalidExportFilter:
        form.add_error(
            None,
            _(
                "一覧の絞り込み条件に誤りがあるため、出力していません。一覧画面で条件を直してから、もう一度出力してください。"
            ),
        )
        return render(request, "exports/index.html", context, status=400)
    except StorageError as error:
        return _storage_failed(request, "exports/index.html", context, error)
    if result.job is not None:
        return redirect(result.job)
    assert result.path is not None
    handle = result.path.open("rb")
    result.path.unlink()  # the open handle keeps the data until the response is sent
    return _attachment(handle, result.file_name)


def _own_job(request: AuthenticatedHttpRequest, job_id: str) -> ExportJob:
    # Only the requester: anyone else, admins included, gets the same 404.
    job = ExportJob.objects.filter(pk=job_id, requested_by=request.user).first()
    if job is None:
        raise deny(request, object_type="exports.exportjob", object_id=job_id)
    # Rights lost since the request count: exports are for admins (imports: personal scope,
    # checked by the views' decorator).
    if not job.is_import and not scope.is_admin(request.user):
        raise forbid(
            request, object_type="exports.exportjob", object_id=job_id, reason="export job"
        )
    return job


# Jobs are exports (admins) and ledger imports (anyone with personal scope): the same pages.
@personal_data_view
def job(request: AuthenticatedHttpRequest, job_id: str) -> HttpResponse:
    export = _own_job(request, job_id)
    return render(
        request,
        "exports/job.html",
        {
            "job": export,
            "kind": KINDS.get(export.kind),
            "filter_words": filter_words(export.kind, export.params),
            "expired": export.expires_at <= timezone.now(),
            # Nobody would pick the job up: say so instead of waiting in silence.
            "no_worker": not export.finished and not jobs.workers_seen(),
        },
    )


@personal_data_view
def job_status(request: AuthenticatedHttpRequest, job_id: str) -> JsonResponse:
    export = _own_job(request, job_id)
    return JsonResponse(
        {
            "status": export.status,
            "status_label": str(export.get_status_display()),
            "done": export.done_rows,
            "total": export.total_rows,
            "percent": export.percent,
            "finished": export.finished,
        }
    )


@personal_data_view
def job_download(request: AuthenticatedHttpRequest, job_id: str) -> HttpResponseBase:
    export = _own_job(request, job_id)
    path = export_dir() / f"{export.pk}.xlsx"
    if (
        export.is_import
        or export.status != ExportJob.Status.DONE
        or export.expires_at <= timezone.now()
        or not path.exists()
    ):
        raise Http404
    audit_record(
        action=Action.EXPORT,
        request=request,
        obj=export,
        filters={"kind": export.kind, "download": True},
        row_count=export.total_rows,
    )
    return _attachment(path.open("rb"), export.file_name)


# --- Ledger import -----------------------------------------------------------------------------

LEDGER_SESSION_KEY = "ledger_upload"


@personal_data_view
def ledger_template_download(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    ledger_template(handle)
    handle.seek(0)
    return _attachment(handle, "soudan-daicho-template.xlsx")


@personal_data_view
def ledger_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload → a preview listing every row's errors; nothing is written until confirmed."""
    if request.method != "POST":
        return render(request, "exports/ledger_upload.html", {"form": LedgerUploadForm()})
    form = LedgerUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "exports/ledger_upload.html", {"form": form}, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    parsed = ledger_parse(stream=io.BytesIO(data), user=request.user)
    context: dict[str, Any] = {
        "form": LedgerUploadForm(),
        "parsed": parsed,
        "file_name": upload.name,
    }
    if parsed.ok:
        token = uuid.uuid4().hex
        try:
            write_private(upload_dir() / f"{token}.xlsx", data)
        except StorageError as error:
            return _storage_failed(
                request, "exports/ledger_upload.html", {"form": LedgerUploadForm()}, error
            )
        request.session[LEDGER_SESSION_KEY] = {
            "token": token,
            "name": upload.name[:200],
            "digest": file_digest(data),
            "rows": len(parsed.rows),
        }
        context["token"] = token
        context["cases"] = len(
            {(r.values["municipality_code"], r.values["case_ref"]) for r in parsed.rows}
        )
    return render(request, "exports/ledger_preview.html", context, status=200 if parsed.ok else 400)


@personal_data_view
@require_POST
def ledger_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Queue the import (a background job, the same progress page as exports)."""
    pending = request.session.get(LEDGER_SESSION_KEY) or {}
    token = request.POST.get("token", "")
    if (
        not token
        or token != pending.get("token")
        or not (upload_dir() / f"{pending['token']}.xlsx").exists()
    ):
        messages.error(request, _("取込の確認が期限切れです。もう一度ファイルを選んでください。"))
        return redirect("exports:ledger_upload")
    try:
        job = ledger_import_request(
            user=request.user,
            token=pending["token"],
            name=pending["name"],
            digest=pending["digest"],
            rows=int(pending.get("rows", 0)),
        )
    except AlreadyImporting:
        messages.error(request, duplicate_message())
        return redirect("exports:ledger_upload")
    del request.session[LEDGER_SESSION_KEY]
    return redirect(job)


@personal_data_view
def ledger_history(request: AuthenticatedHttpRequest) -> HttpResponse:
    batches = ImportBatch.objects.select_related("uploaded_by")
    if scope.is_admin(request.user):
        # Admins see their prefecture's imports, not another prefecture's.
        batches = batches.filter(uploaded_by__in=prefecture_users(request.user))
    else:
        batches = batches.filter(uploaded_by=request.user)
    return render(request, "exports/ledger_history.html", {"batches": batches[:100]})


@require_GET
@never_cache
def healthz_ops(request: HttpRequest) -> JsonResponse:
    """For operators' monitoring: 503 unless the database answers, PRIVATE_ROOT is writable
    and a background worker sent a heartbeat within the lease. Counts only, no data."""
    checks: dict[str, Any] = {"database": "ok", "private_root": "ok", "workers": 0}
    try:
        checks["workers"] = jobs.workers_seen()
        checks["jobs_waiting"] = ExportJob.objects.filter(status__in=jobs.ACTIVE).count()
    except DatabaseError:
        checks["database"] = "unavailable"
    if not private_root_writable():
        checks["private_root"] = "not_writable"
    healthy = checks["database"] == "ok" and checks["private_root"] == "ok" and checks["workers"]
    checks["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(checks, status=200 if healthy else 503)
