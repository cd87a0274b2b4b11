"""Second factor (TOTP, RFC 6238): who owes one, and which step they owe.

django-otp supplies the device model (secret, drift, the last accepted time step so a code is
never accepted twice, throttling of wrong codes) and the verified state: `django_otp.login()`
records in the session the device that accepted a code, its `OTPMiddleware` loads that device
on every request, and `request.user.is_verified()` says whether this session has passed the
second factor. This module decides who must pass it, and how:

- VERIFY: the user has a confirmed device and has not typed a code in this session. Admins are
  asked whenever they have one; other users when they had one at login (kept in the session
  at login, `accounts.signals`, so their pages cost no query to decide it).
- ENROL: an admin (or any staff user) without a device: must enrol before anything else.
"""

import secrets
from base64 import b32encode
from binascii import unhexlify

from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

ENROL_KEY = "otp_enrol_key"
DEVICE_AT_LOGIN_KEY = "otp_device_at_login"
VERIFY = "verify"
ENROL = "enrol"


def required_by_role(user: User) -> bool:
    """Admins and anyone who can open the Django admin must use a second factor."""
    return bool(user.role == "admin" or user.is_staff or user.is_superuser)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_device(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def is_verified(user: User) -> bool:
    """django-otp's `user.is_verified()`, also for the user object `login()` has just put on the
    request (which OTPMiddleware has not seen: not verified)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if check is not None else False


def step_owed(request: HttpRequest) -> str | None:
    """VERIFY or ENROL when the logged-in user still owes the second factor, else None."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return None
    if required_by_role(user):
        # The role is read on every request: a user promoted mid-session is held here too.
        return VERIFY if has_device(user) else ENROL
    at_login = request.session.get(DEVICE_AT_LOGIN_KEY)
    if not isinstance(at_login, bool):  # a session from before this rule
        at_login = request.session[DEVICE_AT_LOGIN_KEY] = has_device(user)
    return VERIFY if at_login else None


def new_key_hex() -> str:
    """A fresh 160-bit secret, hex-encoded as django-otp stores it."""
    return secrets.token_hex(20)


def key_base32(key_hex: str) -> str:
    """The secret as authenticator apps take it when typed in: base32 in groups of four."""
    text = b32encode(unhexlify(key_hex)).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
