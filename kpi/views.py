import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.access import admin_view, deny, prefecture_editor_view
from accounts.types import AuthenticatedHttpRequest
from audit.services import Action, audit_record
from core.excel import XLSX_CONTENT_TYPE
from core.fiscal import current_fiscal_year, era_label, fiscal_year_range
from kpi.charts import line_chart
from kpi.forms import DashboardForm
from kpi.scopes import Scope, scopes_for_user
from kpi.selectors import STATUS_RULE, kpi_report
from kpi.services import can_close_years, can_reopen_years, year_close, year_reopen
from kpi.workbook import kpi_workbook, workbook_file_name

# The first year offered: R1, the year of the oldest baseline.
FIRST_FISCAL_YEAR = 2019


@require_GET
@login_required
@never_cache
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
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
    report = kpi_report(fiscal_year, scope, form.cleaned_data.get("as_of"))
    charts = [(indicator, line_chart(report, indicator)) for indicator in report.indicators]
    # The download links carry the report's own date, so the file matches the page.
    query = urlencode(
        {"fy": report.fiscal_year, "scope": scope.token, "as_of": report.as_of.isoformat()}
    )
    year_over = fiscal_year_range(report.fiscal_year)[1] < timezone.localdate()
    return render(
        request,
        "kpi/dashboard.html",
        {
            "form": form,
            "report": report,
            "charts": charts,
            "status_rule": STATUS_RULE,
            "workbook_query": query,
            "can_close": (
                year_over
                and report.complete
                and not report.closed
                and not scope.is_national
                and can_close_years(request.user)
            ),
            "can_reopen": report.closed and can_reopen_years(request.user),
        },
    )


def _posted_year_and_scope(request: AuthenticatedHttpRequest) -> tuple[int, Scope]:
    """The year and scope a closing form names; a scope outside the user's is a refusal."""
    scopes = {s.token: s for s in scopes_for_user(request.user)}
    token = request.POST.get("scope", "")
    if token not in scopes:
        raise deny(request, user=request.user, object_type="kpi.scope", object_id=token[:40])
    try:
        fiscal_year = int(request.POST.get("fy", ""))
    except ValueError:
        raise Http404() from None
    if not FIRST_FISCAL_YEAR <= fiscal_year <= current_fiscal_year():
        raise Http404()
    return fiscal_year, scopes[token]


def _back_to_dashboard(fiscal_year: int, scope: Scope) -> HttpResponseRedirect:
    query = urlencode({"fy": fiscal_year, "scope": scope.token})
    return HttpResponseRedirect(f"{reverse('kpi:dashboard')}?{query}")


@require_POST
@prefecture_editor_view
def year_close_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """年度確定 (the centre and admins: `kpi.services.can_close_years`), from the dashboard."""
    fiscal_year, scope = _posted_year_and_scope(request)
    try:
        year_close(fiscal_year=fiscal_year, scope=scope, user=request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(year)s（%(scope)s）を確定しました。")
            % {"year": era_label(fiscal_year), "scope": scope.name},
        )
    return _back_to_dashboard(fiscal_year, scope)


@require_POST
@admin_view
def year_reopen_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Reopen a closed year (admins), with a reason."""
    fiscal_year, scope = _posted_year_and_scope(request)
    try:
        year_reopen(
            fiscal_year=fiscal_year,
            scope=scope,
            reason=request.POST.get("reason", ""),
            user=request.user,
            request=request,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(year)s（%(scope)s）の確定を取り消しました。")
            % {"year": era_label(fiscal_year), "scope": scope.name},
        )
    return _back_to_dashboard(fiscal_year, scope)


@require_GET
@login_required
@never_cache
def workbook(request: AuthenticatedHttpRequest) -> HttpResponseBase:
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
