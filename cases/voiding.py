"""Voiding (取消): the one way to take back a record saved by mistake, with a reason.

The record is not deleted: it keeps its data, gains `voided_at`/`voided_by`/`void_reason`
(core.models.Voidable), stays on the case timeline struck through, and counts nowhere (every
count filters `voided_at__isnull=True`; see kpi/selectors.py). The person who recorded it may
void it within `VOID_WINDOW_HOURS`; the regional support centre and admins at any time.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.types import AuthenticatedHttpRequest, User
from audit.services import Action, audit_record

# Roles that may void anything in their scope, at any time.
ANYTIME_ROLES = frozenset({"center", "admin"})
MAX_REASON = 500


def may_void(user: User, *, recorded_by_id: int | None, recorded_at: dt.datetime) -> bool:
    """The recorder within the window; the centre and admins always."""
    if getattr(user, "role", "") in ANYTIME_ROLES or getattr(user, "is_superuser", False):
        return True
    window = dt.timedelta(hours=settings.VOID_WINDOW_HOURS)
    return recorded_by_id == user.pk and timezone.now() - recorded_at <= window


def void_refusal(user: User, *, recorded_by_id: int | None, recorded_at: dt.datetime) -> str:
    """Why `user` may not void it ("" if they may), in words for the page."""
    if may_void(user, recorded_by_id=recorded_by_id, recorded_at=recorded_at):
        return ""
    if recorded_by_id != user.pk:
        return _("取消できるのは、記録した本人（%(hours)d時間以内）と、センター・管理者です。") % {
            "hours": settings.VOID_WINDOW_HOURS
        }
    return _(
        "記録から%(hours)d時間を過ぎたため、取消はセンターまたは管理者に依頼してください。"
    ) % {"hours": settings.VOID_WINDOW_HOURS}


def reason_errors(reason: str) -> dict[str, list[str]]:
    if not reason.strip():
        return {"reason": [_("取消の理由を入力してください。")]}
    if len(reason) > MAX_REASON:
        return {"reason": [_("理由は500文字以内で入力してください。")]}
    return {}


def void_row(
    obj: models.Model,
    *,
    user: User,
    reason: str,
    recorded_by_id: int | None,
    recorded_at: dt.datetime,
    municipality_id: int,
    request: HttpRequest | None,
) -> None:
    """Mark one row voided and audit it. Call inside the service's transaction."""
    if not may_void(user, recorded_by_id=recorded_by_id, recorded_at=recorded_at):
        raise PermissionDenied(void_refusal(user, recorded_by_id=recorded_by_id,
                                            recorded_at=recorded_at))  # fmt: skip
    if errors := reason_errors(reason):
        raise ValidationError(errors)
    now = timezone.now()
    updated = (
        type(obj)
        ._default_manager.filter(pk=obj.pk, voided_at__isnull=True)
        .update(voided_at=now, voided_by=user, void_reason=reason.strip())
    )
    if not updated:
        raise ValidationError(_("この記録はすでに取消されています。"))
    obj.refresh_from_db()
    audit_record(
        action=Action.VOID,
        request=request,
        user=user,
        obj=obj,
        municipality_id=municipality_id,
        changed_fields=["voided_at", "voided_by", "void_reason"],
        reason=reason.strip(),
    )


def void_page(
    request: AuthenticatedHttpRequest,
    *,
    obj: models.Model,
    recorded_by_id: int | None,
    recorded_at: dt.datetime,
    perform: Callable[[str, int | None], Any],
    title: str,
    description: str,
    back_url: str,
    done: str,
    version: int | None = None,
) -> HttpResponse:
    """The confirm-with-a-reason page shared by every void and undo view.

    `perform(reason, version)` calls the service. Refusals (not allowed, already voided, a
    concurrent change) are shown on the page; the typed reason is kept.
    """
    refusal = void_refusal(request.user, recorded_by_id=recorded_by_id, recorded_at=recorded_at)
    if getattr(obj, "voided_at", None) is not None:
        refusal = _("この記録はすでに取消されています。")
    form = VoidForm(request.POST or None, initial={"version": version})
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            perform(form.cleaned_data["reason"], form.cleaned_data.get("version"))
        except ValidationError as error:
            for message in error.messages:
                form.add_error("reason" if "reason" in getattr(error, "error_dict", {}) else None,
                               message)  # fmt: skip
        except PermissionDenied as error:
            refusal = str(error) or _("この操作を行う権限がありません。")
        else:
            messages.success(request, done)
            return redirect(back_url)
    return render(
        request,
        "cases/void_form.html",
        {
            "title": title,
            "description": description,
            "form": form,
            "refusal": refusal,
            "back_url": back_url,
        },
        status=200,
    )


class VoidForm(forms.Form):
    """The reason for a void (取消) or an undone step; `version` where the record has one."""

    reason = forms.CharField(
        label=gettext_lazy("取消の理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("取消の理由を入力してください。")},
        help_text=gettext_lazy("例：同じ相談を二重に登録した。別のケースに記録すべきものだった。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
