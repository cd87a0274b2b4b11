"""Demo accounts, all with the password `demo` (development only)."""

from django.contrib.auth.hashers import make_password

from accounts.models import User
from core.models import Jurisdiction, Municipality

DEMO_PASSWORD = "demo"  # noqa: S105  (demo data, refused in production without --force)

DEMO_USERS = [
    # username, role, display name, municipalities, jurisdictions
    ("admin", User.Role.ADMIN, "管理者（デモ）", [], []),
    ("kencho", User.Role.PREFECTURE, "県 地域福祉政策課（デモ）", [], []),
    ("center", User.Role.CENTER, "ひきこもり地域支援センター（デモ）", [], []),
    ("soudan-kochi", User.Role.COUNSELOR, "高知市 相談員（デモ）", ["392014"], []),
    ("soudan-aki", User.Role.COUNSELOR, "安芸福祉保健所 相談員（デモ）", [], ["安芸福祉保健所"]),
]


def seed(*, stdout) -> None:  # type: ignore[no-untyped-def]
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
    stdout.write(f"demo users: {len(DEMO_USERS)}")
