"""A form sent after the session ended is not lost: it waits in the browser tab, not here.

When a POST arrives without a logged-in user and the view answers "log in first", the answer
is the login page itself (not a redirect that drops the body), carrying what was typed as
hidden fields of the login form. Nothing is written anywhere on the server: the text lives
only in that page of that tab (sent `no-store`) and in the next request's body. After the
password (and the second factor, if due) the resume page shows the text and sends it, with a
fresh CSRF token, to the URL it was meant for; that view then saves it or shows its form
again with the text in it, as it does for any submission.

The resumed text is bound to the user whose session ended: the signed `resume_owner` names
them (read from the ended session), and if someone else logs in on that screen the text is
dropped, not shown. See SECURITY.md, "Sessions".
"""

import re
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import signing
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

# Hidden-field prefix of the carried values on the login and second-factor forms.
PREFIX = "resume:"
PATH_FIELD = "resume_path"
OWNER_FIELD = "resume_owner"
SIGNING_SALT = "accounts.resume.owner"
# Not carried: the CSRF token (a fresh one is used) and anything password-like.
NOT_CARRIED = frozenset({"csrfmiddlewaretoken", "password", "password1", "password2"})
# Nothing to resume: sending these again after a login would be wrong or pointless.
NOT_RESUMED_VIEWS = frozenset({"accounts:logout", "accounts:login", "accounts:keepalive"})
# Fields that carry no typed text: not shown in the resume page's summary.
CODE_LIKE = re.compile(r"[A-Za-z0-9_\-:./]+")
TECHNICAL_FIELDS = frozenset({"submission_token", "version", "token", "next", "back"})


def expired_user_id(request: HttpRequest) -> str | None:
    """Who was logged in before the session ended (None if that cannot be known).

    The absolute-lifetime rule logs out itself and leaves the id on the request; an idle
    session has expired in the store, but its row still says whose it was until
    `clearsessions` removes it.
    """
    known = getattr(request, "expired_user_id", None)
    if known:
        return str(known)
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    row = Session.objects.filter(session_key=key).first()
    if row is None:
        return None
    user_id = row.get_decoded().get(SESSION_KEY)
    return str(user_id) if user_id else None


def _carried(post: QueryDict) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, values in post.lists()
        if name not in NOT_CARRIED and not name.startswith(PREFIX)
        for value in values
    ]


def should_resume(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is not None and match.view_name in NOT_RESUMED_VIEWS:
        return False
    return bool(_carried(request.POST))


def login_page_for_expired_post(request: HttpRequest) -> HttpResponse:
    """The login page, answering a POST that arrived after the session ended."""
    from accounts.forms import LoginForm

    owner = expired_user_id(request)
    resume = None
    if should_resume(request):
        resume = {
            "path": request.get_full_path(),
            "fields": [(PREFIX + name, value) for name, value in _carried(request.POST)],
            "owner": signing.dumps(owner, salt=SIGNING_SALT),
            "had_files": bool(request.FILES),
        }
    response = render(
        request,
        "accounts/login.html",
        {
            "form": LoginForm(request),
            "next": request.get_full_path() if resume is None else "",
            "session_expired": True,
            "resume": resume,
        },
    )
    patch_cache_control(response, no_store=True, private=True)
    return response


def carried_payload(request: HttpRequest) -> dict[str, Any] | None:
    """The carried form from a login/second-factor POST, or None if there is none."""
    path = request.POST.get(PATH_FIELD, "")
    if not path or not url_has_allowed_host_and_scheme(
        path, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    if not path.startswith("/") or path.startswith(reverse("accounts:login")):
        return None
    try:
        owner = signing.loads(request.POST.get(OWNER_FIELD, ""), salt=SIGNING_SALT)
    except signing.BadSignature:
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name.startswith(PREFIX)
        for value in values
    ]
    return {"path": path, "owner": owner, "fields": fields}


def resume_response(request: HttpRequest, payload: dict[str, Any]) -> HttpResponse | None:
    """After a login: the page that sends the carried form on, or None if it may not."""
    if payload["owner"] is not None and str(payload["owner"]) != str(request.user.pk):
        return None
    fields = [(name.removeprefix(PREFIX), value) for name, value in payload["fields"]]
    # What a person typed, not the codes of choices, dates and numbers (those are sent too).
    shown = [
        (name, value)
        for name, value in fields
        if value.strip()
        and name not in TECHNICAL_FIELDS
        and not name.startswith("_")
        and not CODE_LIKE.fullmatch(value.strip())
    ]
    response = render(
        request,
        "accounts/resume.html",
        {"path": payload["path"], "fields": fields, "shown": shown},
    )
    patch_cache_control(response, no_store=True, private=True)
    return response


def carry_fields(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    """The context for carrying a payload on through the second-factor step."""
    if payload is None:
        return None
    return {
        "path": payload["path"],
        "fields": payload["fields"],
        "owner": signing.dumps(payload["owner"], salt=SIGNING_SALT),
        "had_files": False,
    }
