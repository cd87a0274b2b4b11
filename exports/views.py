from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import scope
from exports.excel import XLSX_CONTENT_TYPE
from exports.forms import ExportForm
from exports.models import ExportJob
from exports.registry import KINDS
from exports.services import export_dir, export_request


def _admin_only(request: HttpRequest) -> None:
    if not scope.is_admin(request.user):
        raise PermissionDenied


def _attachment(handle, file_name: str) -> FileResponse:  # type: ignore[no-untyped-def]
    response = FileResponse(
        handle, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    params = request.GET.copy()
    kind = params.pop("kind", ["consultations"])[-1]
    form = ExportForm(
        initial={"kind": kind if kind in KINDS else "consultations", "query": params.urlencode()}
    )
    jobs = ExportJob.objects.filter(requested_by=request.user)[:10]
    return render(
        request,
        "exports/index.html",
        {"form": form, "jobs": jobs, "filters": params, "now": timezone.now()},
    )


@require_POST
@login_required
@never_cache
def start(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = ExportForm(request.POST)
    if not form.is_valid():
        jobs = ExportJob.objects.filter(requested_by=request.user)[:10]
        return render(request, "exports/index.html", {"form": form, "jobs": jobs}, status=400)
    result = export_request(
        user=request.user,
        kind_key=form.cleaned_data["kind"],
        params=QueryDict(form.cleaned_data["query"] or ""),
        include_personal=form.cleaned_data["include_personal"],
        reason=form.cleaned_data["reason"],
        request=request,
    )
    if result.job is not None:
        return redirect(result.job)
    assert result.path is not None
    handle = result.path.open("rb")
    result.path.unlink()  # the open handle keeps the data until the response is sent
    return _attachment(handle, result.file_name)


def _own_job(request: HttpRequest, job_id: str) -> ExportJob:
    # Only the requester: anyone else, admins included, gets the same 404.
    job = ExportJob.objects.filter(pk=job_id, requested_by=request.user).first()
    if job is None:
        raise Http404
    return job


@login_required
@never_cache
def job(request: HttpRequest, job_id: str) -> HttpResponse:
    _admin_only(request)
    export = _own_job(request, job_id)
    return render(
        request,
        "exports/job.html",
        {
            "job": export,
            "kind": KINDS.get(export.kind),
            "expired": export.expires_at <= timezone.now(),
        },
    )


@login_required
@never_cache
def job_status(request: HttpRequest, job_id: str) -> JsonResponse:
    _admin_only(request)
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


@login_required
@never_cache
def job_download(request: HttpRequest, job_id: str) -> HttpResponse:
    _admin_only(request)
    export = _own_job(request, job_id)
    path = Path(export_dir()) / f"{export.pk}.xlsx"
    if (
        export.status != ExportJob.Status.DONE
        or export.expires_at <= timezone.now()
        or not path.exists()
    ):
        raise Http404
    return _attachment(path.open("rb"), export.file_name)
