from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.selectors import deny
from core.fiscal import current_fiscal_year
from kpi.charts import line_chart
from kpi.forms import DashboardForm
from kpi.scopes import scopes_for_user
from kpi.selectors import STATUS_RULE, kpi_report

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
    report = kpi_report(fiscal_year, scope, form.cleaned_data.get("as_of"))
    charts = [(indicator, line_chart(report, indicator)) for indicator in report.indicators]
    return render(
        request,
        "kpi/dashboard.html",
        {"form": form, "report": report, "charts": charts, "status_rule": STATUS_RULE},
    )
