"""Demo accounts, all with the password `demo` (development only).

The demo `admin` must pass the second factor like any admin. It gets a TOTP device with a
fixed, published secret (DEMO_ADMIN_TOTP_KEY): add it to an authenticator app, or print the
current code with `manage.py demo_totp`. Nothing is exempted: production code has no switch
that skips the second factor.
"""

import hashlib
from typing import Any

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.otp import key_base32
from core.models import Jurisdiction, Municipality

DEMO_PASSWORD = "demo"  # noqa: S105  (demo data, refused in production without --force)
# A fixed secret, so that an authenticator app set up once keeps working after a re-seed.
DEMO_ADMIN_TOTP_KEY = hashlib.sha1(b"hikikomori-demo-admin-totp").hexdigest()  # noqa: S324

DEMO_USERS = [
    # username, role, display name, municipalities, jurisdictions
    ("admin", User.Role.ADMIN, "管理者（デモ）", [], []),
    ("kencho", User.Role.PREFECTURE, "県 地域福祉政策課（デモ）", [], []),
    ("center", User.Role.CENTER, "ひきこもり地域支援センター（デモ）", [], []),
    ("soudan-kochi", User.Role.COUNSELOR, "高知市 相談員（デモ）", ["392014"], []),
    ("soudan-aki", User.Role.COUNSELOR, "安芸福祉保健所 相談員（デモ）", [], ["安芸福祉保健所"]),
]


def seed(*, stdout: Any) -> None:
    hashed = None
    for username, role, display_name, codes, jurisdictions in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            hashed = hashed or make_password(DEMO_PASSWORD)
            user = User(username=username, password=hashed)
        user.role = role
        user.display_name = display_name
        user.prefecture_code = "39"
        user.is_staff = role == User.Role.ADMIN
        user.is_superuser = role == User.Role.ADMIN
        user.is_active = True
        user.save()
        user.municipalities.set(Municipality.objects.filter(code__in=codes))
        user.jurisdictions.set(Jurisdiction.objects.filter(name_ja__in=jurisdictions))
        if role == User.Role.ADMIN:
            TOTPDevice.objects.update_or_create(
                user=user,
                name="demo",
                defaults={"key": DEMO_ADMIN_TOTP_KEY, "confirmed": True},
            )
    stdout.write(f"demo users: {len(DEMO_USERS)}")
    stdout.write(
        "demo admin second factor (TOTP) secret: "
        f"{key_base32(DEMO_ADMIN_TOTP_KEY)}  (current code: manage.py demo_totp)"
    )
