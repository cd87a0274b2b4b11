"""Saving a form through a service, the same way in every view.

A form view validates the form, calls one service, and then either shows the service's refusal
on the form or says what was saved and moves on:

    form = PlanForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        saved = submit(
            request, form,
            lambda: services.plan_create(user=request.user, case=case, ...),
            success=_("支援プランを作成しました。"),
        )
        if saved:
            return saved
    return render(request, "casework/form.html", {"form": form, ...})

`submit` returns the redirect on success and None when the service refused (the view then
shows the form again, now with the errors). A second identical submission
(`core.resubmission.DuplicateSubmission`) is kept on the form as `form.duplicate`, which the
form's page shows with `includes/duplicate_confirm.html`.

An edit of a versioned record (core/concurrency.py) also passes `latest`: when someone else
saved first, `latest()` reads the record again (and audits that read) and returns its
`SavedVersion`; the form keeps the user's input, now on top of that version, and the page
shows the saved values beside it with `includes/conflict.html`:

    saved = submit(
        request, form, lambda: services.case_update(..., version=form.cleaned_data["version"]),
        success=_("ケースを更新しました。"), to=case,
        latest=lambda: SavedVersion.of_form(CaseEditForm(user=request.user, case=reread())),
    )
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.concurrency import SavedVersion, is_stale, rebase_on_saved
from core.forms import add_service_errors
from core.resubmission import DuplicateSubmission

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a dev dependency: annotations only


def submit[T](
    request: HttpRequest,
    form: BaseForm,
    call: Callable[[], T],
    *,
    success: "StrOrPromise | Callable[[T], str]",
    to: Any = None,
    latest: Callable[[], SavedVersion] | None = None,
) -> HttpResponse | None:
    """Run `call` (the service). Refused: the errors go on the form and the answer is None;
    refused because someone saved first, with `latest` given: the form is rebased on
    `latest()` (`rebase_on_saved`). Saved: the `success` message (or `success(result)`) and a
    redirect to `to` (a URL, a model, or `to(result)`), by default to what the service
    returned."""
    try:
        result = call()
    except DuplicateSubmission as duplicate:
        form.duplicate = duplicate  # type: ignore[attr-defined]  # read by the page's template
        return None
    except ValidationError as error:
        if latest is not None and is_stale(error):
            rebase_on_saved(form, latest())
        else:
            add_service_errors(form, error)
        return None
    messages.success(request, success(result) if callable(success) else success)
    target: Any = result if to is None else to(result) if callable(to) else to
    return redirect(target)
