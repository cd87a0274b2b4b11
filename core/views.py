from importlib import import_module

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.home import home_panels

# The audit trail is an app above core: reached by name, as core/home.py reaches the panels.
AUDIT_SERVICES = "audit.services"


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise. No details: it is public."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
@never_cache  # the home panels list case numbers and names
def home(request: HttpRequest) -> HttpResponse:
    panels = home_panels(request)
    # The panels show case numbers and names: the page is a read like any list.
    audit = import_module(AUDIT_SERVICES)
    audit.audit_record(
        action=audit.Action.VIEW,
        request=request,
        object_type="core.home",
        filters={"panels": [p["template"].rsplit("/", 1)[-1] for p in panels]},
    )
    return render(request, "core/home.html", {"panels": panels})
