"""Second factor (TOTP, RFC 6238) state kept in the session.

django-otp supplies the device model (secret, drift, the last accepted time step so a code is
never accepted twice, throttling of wrong codes); this module decides who must use it and
records, per session, how far the login has gone:

- NOT_REQUIRED: no device and not an admin: the password was enough.
- VERIFY: the user has a confirmed device and has not yet typed a code in this session.
- ENROL: an admin (or any staff user) without a device: must enrol before anything else.
- VERIFIED: the code was accepted in this session.

The state is written at login (`accounts.signals`), so checking it costs no query.
"""

import secrets
from base64 import b32encode
from binascii import unhexlify
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django_otp.plugins.otp_totp.models import TOTPDevice

STATE_KEY = "otp_state"
ENROL_KEY = "otp_enrol_key"
NOT_REQUIRED = "none"
VERIFY = "verify"
ENROL = "enrol"
VERIFIED = "verified"


def required_by_role(user: Any) -> bool:
    """Admins and anyone who can open the Django admin must use a second factor."""
    return bool(user.role == "admin" or user.is_staff or user.is_superuser)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def state_at_login(user: Any) -> str:
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return VERIFY
    return ENROL if required_by_role(user) else NOT_REQUIRED


def mark_verified(session: SessionBase) -> None:
    session[STATE_KEY] = VERIFIED
    session.pop(ENROL_KEY, None)


def new_key_hex() -> str:
    """A fresh 160-bit secret, hex-encoded as django-otp stores it."""
    return secrets.token_hex(20)


def key_base32(key_hex: str) -> str:
    """The secret as authenticator apps take it when typed in: base32 in groups of four."""
    text = b32encode(unhexlify(key_hex)).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
