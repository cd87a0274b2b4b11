"""The audit trail for admins: search and Excel export. Reading the trail is audited too."""

import json
import tempfile
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.access import admin_view
from accounts.models import User
from accounts.types import AuthenticatedHttpRequest
from audit import labels
from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.selectors import events_for
from audit.services import Action, audit_record
from core.excel import XLSX_CONTENT_TYPE, SafeSheet, new_workbook
from core.models import Municipality

PAGE_SIZE = 50
OBJECT_TYPE = "audit.auditevent"


def _filterset(request: AuthenticatedHttpRequest) -> AuditEventFilter:
    params = request.GET.copy()
    params.pop("page", None)
    return AuditEventFilter(params or None, queryset=events_for(request.user), user=request.user)


@admin_view
@require_GET
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filterset = _filterset(request)
    valid = not filterset.is_bound or filterset.is_valid()
    queryset = filterset.qs if valid else AuditEvent.objects.none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    events = list(page.object_list)
    ids = {e.municipality_id for e in events if e.municipality_id is not None}
    municipalities = Municipality.objects.in_bulk(ids) if ids else {}
    roles = dict(User.Role.choices)
    for event in events:
        event.municipality = municipalities.get(event.municipality_id)
        event.role_label = roles.get(event.role, event.role)
    labels.describe(events)
    audit_record(
        action=Action.LIST,
        request=request,
        object_type=OBJECT_TYPE,
        filters=filterset.audit_filters(),
        row_count=page.paginator.count,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "filter": filterset,
            "page": page,
            "events": events,
            "query": query.urlencode(),
            "valid": valid,
        },
    )


HEADERS = [
    gettext_lazy("日時"),
    gettext_lazy("ユーザー名"),
    gettext_lazy("役割"),
    gettext_lazy("IPアドレス"),
    gettext_lazy("操作"),
    gettext_lazy("対象の種類"),
    gettext_lazy("対象ID"),
    gettext_lazy("市町村コード"),
    gettext_lazy("市町村"),
    gettext_lazy("変更項目"),
    gettext_lazy("条件"),
    gettext_lazy("件数"),
    gettext_lazy("理由"),
    gettext_lazy("URL"),
]


def _row(event: AuditEvent, municipalities: dict[int, Municipality]) -> list[Any]:
    municipality = municipalities.get(event.municipality_id or 0)
    return [
        event.at,
        event.username,
        event.role,
        event.ip_address,
        event.get_action_display(),
        event.object_type,
        event.object_id,
        municipality.code if municipality else "",
        municipality.name_ja if municipality else "",
        ", ".join(event.changed_fields or []),
        _json_text(event.filters),
        event.row_count,
        event.reason,
        event.path,
    ]


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


@admin_view
@require_GET
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The filtered trail as .xlsx; the export itself is one EXPORT row (filter, row count).

    The row is written before the file is returned: if it cannot be written, no file leaves.
    """
    filterset = _filterset(request)
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("検索条件を確認してください。出力していません。"))
        return HttpResponseRedirect(reverse("audit:list") + "?" + request.GET.urlencode())
    queryset = filterset.qs
    total = queryset.count()
    if total > settings.AUDIT_EXPORT_MAX_ROWS:
        messages.error(
            request,
            _(
                "該当が%(count)s件あり、一度に出力できる%(max)s件を超えています。期間などで絞り込んでください。"
            )
            % {"count": f"{total:,}", "max": f"{settings.AUDIT_EXPORT_MAX_ROWS:,}"},
        )
        return HttpResponseRedirect(reverse("audit:list") + "?" + request.GET.urlencode())
    municipalities = Municipality.objects.in_bulk()
    workbook = new_workbook()
    sheet = SafeSheet(workbook.create_sheet(title=_("監査ログ")))
    headers = [str(h) for h in HEADERS]  # in the user's language
    sheet.setup(titles=headers, widths=[18, 14, 12, 14, 12, 20, 12, 10, 12, 24, 40, 8, 30, 40])
    sheet.header(headers)
    count = 0
    for event in queryset.iterator(chunk_size=2000):
        sheet.append(_row(event, municipalities))
        count += 1
    # The file is complete before the audit row; it leaves only once the row is written.
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    audit_record(
        action=Action.EXPORT,
        request=request,
        object_type=OBJECT_TYPE,
        filters=filterset.audit_filters(),
        row_count=count,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(
        handle, as_attachment=True, filename=f"audit-{stamp}.xlsx", content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store, private"
    return response
