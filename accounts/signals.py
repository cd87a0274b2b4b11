"""Login, logout and login failures go to the audit trail (Django's auth signals).

A change to who may see what (a user, their memberships, a municipality) drops the scopes
remembered in the current request (`accounts.scope.forget_scopes`).

The login receiver also stamps the new session with its start (for the absolute lifetime)
and with whether the user has a second-factor device: every way in (the login page, the test
client's force_login) passes here, and later requests read both without a query.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import otp, scope
from accounts.middleware import LOGIN_AT_KEY
from accounts.models import User
from audit.services import Action, audit_record
from core.models import Jurisdiction, Municipality


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
@receiver(post_save, sender=Municipality)
@receiver(post_delete, sender=Municipality)
@receiver(post_delete, sender=Jurisdiction)
@receiver(m2m_changed, sender=User.municipalities.through)
@receiver(m2m_changed, sender=User.jurisdictions.through)
def _scope_changed(sender: Any, **kwargs: Any) -> None:
    scope.forget_scopes()


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    audit_record(action=Action.LOGIN, request=request, user=user)
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT_KEY] = timezone.now().timestamp()
        # Every login starts unverified (django-otp's device key is dropped); whether a code is
        # owed is then read from the device the user has now.
        session.pop(DEVICE_ID_SESSION_KEY, None)
        session[otp.DEVICE_AT_LOGIN_KEY] = otp.has_device(user)
        session.pop(otp.ENROL_KEY, None)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The attempted username is kept (not the password) so lockouts can be investigated.
    audit_record(
        action=Action.LOGIN_FAILED,
        request=request,
        user=None,
        object_type="accounts.user",
        object_id=str(credentials.get("username", ""))[:50],
    )
