from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts import otp, scope
from accounts.navigation import items_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if otp.step_owed(request) is not None:
        # Still owes the second factor: every link would lead back to that step.
        return {"nav_items": []}
    return {
        "nav_items": items_for(user, request.path),
        "user_is_admin": scope.is_admin(user),
        # The idle-timeout warning (templates/base.html, static/js/session-timeout.js).
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
    }
