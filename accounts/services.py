"""Writes for accounts: login throttling, password change, second factor.

Every write is atomic and audited in the same transaction (fail closed).
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LoginThrottle, User
from audit.services import Action, audit_record

logger = logging.getLogger(__name__)


def username_key(username: str) -> str:
    return username.strip().casefold()[:150]


def login_is_locked(*, username: str, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return LoginThrottle.objects.filter(
        username_key=username_key(username), locked_until__gt=now
    ).exists()


@transaction.atomic
def login_refused_locked(*, username: str, password: str, request: HttpRequest | None) -> None:
    """A login attempt on a locked username: audited, refused like a wrong password."""
    # As long as a real password check: the answer's timing does not reveal the lock.
    make_password(password)
    audit_record(
        action=Action.LOGIN_FAILED,
        request=request,
        user=None,
        object_type="accounts.user",
        object_id=username[:50],
        reason="locked",
    )


def _throttle_for_update(key: str, now: dt.datetime) -> LoginThrottle:
    row = LoginThrottle.objects.select_for_update().filter(username_key=key).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return LoginThrottle.objects.create(
                username_key=key, failures=0, first_failure_at=now, last_failure_at=now
            )
    except IntegrityError:
        # Another process created it between our read and our insert.
        return LoginThrottle.objects.select_for_update().get(username_key=key)


@transaction.atomic
def login_failure_record(*, username: str, now: dt.datetime | None = None) -> bool:
    """Count one failure for the username; lock it when the limit is reached.

    Failures older than the window, or from before an expired lock, start a new count.
    Returns whether the username is locked now. (The failure itself is audited by the
    `user_login_failed` signal or by the caller.)
    """
    now = now or timezone.now()
    window = dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    # Forget counts that can no longer matter, so guessed usernames do not pile up.
    stale = now - max(window, dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS))
    LoginThrottle.objects.filter(last_failure_at__lt=stale).exclude(locked_until__gt=now).delete()
    row = _throttle_for_update(username_key(username), now)
    lock_expired = row.locked_until is not None and row.locked_until <= now
    if row.failures == 0 or lock_expired or now - row.first_failure_at > window:
        row.failures = 0
        row.first_failure_at = now
        row.locked_until = None
    row.failures += 1
    row.last_failure_at = now
    locked: bool = row.failures >= settings.LOGIN_FAILURE_LIMIT
    if locked and row.locked_until is None:
        row.locked_until = now + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        # The username is user input: core.logging.SafeFormatter keeps it on one line.
        logger.warning(
            "Login locked for username %s after %d failures", username[:150], row.failures
        )
    row.save()
    return locked


def login_failures_clear(*, username: str) -> None:
    """A completed login (password and, when due, the second factor) clears the count."""
    LoginThrottle.objects.filter(username_key=username_key(username)).delete()


@transaction.atomic
def password_change(*, user: User, new_password: str, request: HttpRequest | None) -> None:
    """Set a new password (already validated by the form). Other sessions end: their stored
    hash of the old password no longer matches (the caller keeps the current one)."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(action=Action.UPDATE, request=request, obj=user, changed_fields=["password"])


def _totp_matches(key_hex: str, token: str) -> TOTP | None:
    """The TOTP state that accepted the 6-digit token (now, or one step either side)."""
    token = token.strip().replace(" ", "")
    if not (len(token) == 6 and token.isdigit()):
        return None
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return totp if totp.verify(int(token), tolerance=1) else None


@transaction.atomic
def otp_device_confirm(
    *, user: User, key_hex: str, token: str, request: HttpRequest | None
) -> TOTPDevice | None:
    """Enrol: the code from the user's app proves it holds the secret. Replaces any device."""
    totp = _totp_matches(key_hex, token)
    if totp is None:
        return None
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user,
        name="authenticator",
        key=key_hex,
        confirmed=True,
        # The enrolment code is spent: it cannot be replayed at the next login.
        last_t=totp.t(),
        drift=totp.drift,
    )
    audit_record(action=Action.CREATE, request=request, obj=device, reason="totp-enrol")
    return device


def otp_verify(*, user: User, token: str, request: HttpRequest | None) -> TOTPDevice | None:
    """Check a login code against the user's device: the device that accepted it (for
    `django_otp.login`), or None. A code is accepted at most once (django-otp keeps the last
    time step used); wrong codes are throttled by django-otp and counted towards the username
    lockout."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        token = token.strip().replace(" ", "")
        if device is not None and device.verify_token(token):
            audit_record(action=Action.LOGIN, request=request, user=user, reason="totp")
            return device
        audit_record(
            action=Action.LOGIN_FAILED,
            request=request,
            user=user,
            object_type="accounts.user",
            object_id=user.pk,
            reason="totp",
        )
    login_failure_record(username=user.get_username())
    return None


def otp_device_replace(
    *, user: User, key_hex: str, current_token: str, token: str, request: HttpRequest | None
) -> TOTPDevice:
    """Move the second factor to a new device. The caller has checked the password; here the
    new app's code proves it holds the new secret and the current device's code that whoever
    asks also holds the old one (a session left open is not enough). A wrong current code is
    throttled by django-otp, audited as a refusal and spent like any other; nothing changes.
    Raises ValidationError naming the field at fault."""
    if _totp_matches(key_hex, token) is None:
        raise ValidationError({"token": _otp_wrong_new_code()})
    with transaction.atomic():
        current = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        accepted = current is not None and current.verify_token(current_token.strip())
        if not accepted:
            audit_record(
                action=Action.DENIED,
                request=request,
                user=user,
                object_type="accounts.user",
                object_id=user.pk,
                reason="totp-replace",
            )
    if not accepted:
        raise ValidationError(
            {"current_token": gettext("今の端末の確認コードが正しくありません。")}
        )
    device = otp_device_confirm(user=user, key_hex=key_hex, token=token, request=request)
    if device is None:  # the new code's time step passed between the two checks
        raise ValidationError({"token": _otp_wrong_new_code()})
    return device


def _otp_wrong_new_code() -> str:
    return gettext("確認コードが正しくありません。アプリの時刻設定も確認してください。")


def otp_throttled_seconds(*, user: User) -> int:
    """Seconds before django-otp accepts another code after wrong ones (0: now)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data:
        return 0
    locked_until = data.get("locked_until")
    if locked_until is None:
        return 0
    return max(1, int((locked_until - timezone.now()).total_seconds()))


@transaction.atomic
def otp_device_remove(*, user: User, request: HttpRequest | None) -> int:
    devices = list(TOTPDevice.objects.filter(user=user))
    for device in devices:
        audit_record(action=Action.DELETE, request=request, obj=device, reason="totp-disable")
    TOTPDevice.objects.filter(pk__in=[d.pk for d in devices]).delete()
    return len(devices)


@transaction.atomic
def user_preferences_update(*, user: User, date_style: str, request: HttpRequest | None) -> None:
    """The user's own display settings (how dates are shown)."""
    if date_style not in User.DateStyle.values:
        raise ValueError(f"unknown date style {date_style!r}")
    if user.date_style == date_style:
        return
    User.objects.filter(pk=user.pk).update(date_style=date_style)
    user.date_style = date_style
    audit_record(action=Action.UPDATE, request=request, obj=user, changed_fields=["date_style"])
