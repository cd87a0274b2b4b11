"""A second prefecture (徳島県, code 36) beside Kochi, with its own people and records."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from core.models import Jurisdiction, Municipality
from tests.conftest import make_user


@dataclass
class Tokushima:
    city: Municipality
    counselor: User
    center: User
    admin: User


@pytest.fixture
def tokushima(kochi) -> Tokushima:
    jurisdiction = Jurisdiction.objects.create(prefecture_code="36", name_ja="徳島保健所")
    city = Municipality.objects.create(
        code="362018",
        prefecture_code="36",
        name_ja="徳島市",
        name_en="Tokushima",
        kind=Municipality.Kind.CITY,
        jurisdiction=jurisdiction,
    )
    admin = make_user("tokushima-admin", User.Role.ADMIN, prefecture_code="36")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return Tokushima(
        city=city,
        counselor=make_user(
            "tokushima-counselor", User.Role.COUNSELOR, municipalities=[city], prefecture_code="36"
        ),
        center=make_user("tokushima-center", User.Role.CENTER, prefecture_code="36"),
        admin=admin,
    )
