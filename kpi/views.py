import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.access import deny
from audit.services import Action, audit_record
from core.excel import XLSX_CONTENT_TYPE
from core.fiscal import current_fiscal_year
from kpi.charts import line_chart
from kpi.forms import DashboardForm
from kpi.scopes import scopes_for_user
from kpi.selectors import STATUS_RULE, kpi_report
from kpi.workbook import kpi_workbook, workbook_file_name

# The first year offered: R1, the year of the oldest baseline.
FIRST_FISCAL_YEAR = 2019


@require_GET
@login_required
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    """The four targets, their pace and where the prefecture must help. Aggregates only."""
    scopes = scopes_for_user(request.user)
    current = current_fiscal_year()
    years = list(range(current, FIRST_FISCAL_YEAR - 1, -1))
    if not scopes:
        return render(request, "kpi/dashboard.html", {"report": None})

    by_token = {s.token: s for s in scopes}
    token = request.GET.get("scope")
    if token and token not in by_token:
        # Another municipality's or jurisdiction's figures: as if it did not exist.
        raise deny(request, user=request.user, object_type="kpi.scope", object_id=token[:40])

    data = request.GET.copy()
    data.setdefault("fy", str(current))
    if not token:
        data["scope"] = scopes[0].token
    form = DashboardForm(data, years=years, scopes=scopes)
    form.is_valid()
    if "fy" in form.errors:
        raise Http404()
    fiscal_year = form.cleaned_data.get("fy") or current
    scope = by_token[form.cleaned_data.get("scope") or scopes[0].token]
    report = kpi_report(
        fiscal_year, scope, form.cleaned_data.get("as_of"), cached_consultations=True
    )
    charts = [(indicator, line_chart(report, indicator)) for indicator in report.indicators]
    # The download links carry the report's own date, so the file matches the page.
    query = urlencode(
        {"fy": report.fiscal_year, "scope": scope.token, "as_of": report.as_of.isoformat()}
    )
    return render(
        request,
        "kpi/dashboard.html",
        {
            "form": form,
            "report": report,
            "charts": charts,
            "status_rule": STATUS_RULE,
            "workbook_query": query,
        },
    )


@require_GET
@login_required
@never_cache
def workbook(request: HttpRequest) -> HttpResponseBase:
    """The dashboard's report as an Excel workbook (`public=1`: publication mode).

    The same query parameters and access rules as the dashboard: a scope outside the user's
    is a 404. Aggregates only, so prefecture staff may download it too. One EXPORT audit row.
    """
    scopes = scopes_for_user(request.user)
    if not scopes:
        raise Http404()
    by_token = {s.token: s for s in scopes}
    token = request.GET.get("scope") or scopes[0].token
    if token not in by_token:
        raise deny(request, user=request.user, object_type="kpi.scope", object_id=token[:40])
    current = current_fiscal_year()
    years = list(range(current, FIRST_FISCAL_YEAR - 1, -1))
    data = request.GET.copy()
    data.setdefault("fy", str(current))
    data["scope"] = token
    form = DashboardForm(data, years=years, scopes=scopes)
    if not form.is_valid():
        raise Http404()
    scope = by_token[token]
    public = request.GET.get("public") == "1"
    # The same cached consultation counts as the page, so the file matches what was seen.
    report = kpi_report(
        form.cleaned_data["fy"] or current,
        scope,
        form.cleaned_data["as_of"],
        cached_consultations=True,
    )
    buffer = io.BytesIO()
    kpi_workbook(report, public=public, threshold=settings.KPI_PUBLIC_SUPPRESS_BELOW).save(buffer)
    audit_record(
        action=Action.EXPORT,
        request=request,
        object_type="kpi.workbook",
        filters={
            "fy": report.fiscal_year,
            "scope": scope.token,
            "as_of": report.as_of.isoformat(),
            "public": public,
        },
        row_count=len(report.areas),
    )
    buffer.seek(0)
    response = FileResponse(
        buffer,
        as_attachment=True,
        filename=workbook_file_name(report, public=public),
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response
