"""Reads for cases. Every view that touches a case starts here."""

from typing import Any

from django.http import Http404, HttpRequest

from audit.services import Action, audit_record
from cases.models import Case


def deny(request: HttpRequest | None, *, user: Any, object_type: str, object_id: Any) -> Http404:
    """Record a refused access and return the 404 to raise (no hint that the record exists)."""
    audit_record(
        action=Action.DENIED,
        request=request,
        user=user,
        object_type=object_type,
        object_id=str(object_id),
    )
    return Http404()


def get_case_for_user(user: Any, pk: int, *, request: HttpRequest | None = None) -> Case:
    """The case if the user may see it; otherwise 404, audited as permission denied."""
    case = (
        Case.objects.in_scope(user)
        .select_related("municipality", "person", "assigned_counselor")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise deny(request, user=user, object_type="cases.case", object_id=pk)
    return case
