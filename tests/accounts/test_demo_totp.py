"""The demo admin passes the second factor with a published demo secret, nothing exempted."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from demo import accounts as demo


@pytest.mark.django_db
def test_seed_gives_the_demo_admin_a_known_device_once(kochi) -> None:
    out = io.StringIO()
    demo.seed(stdout=out)
    demo.seed(stdout=out)
    admin = User.objects.get(username="admin")
    devices = TOTPDevice.objects.filter(user=admin)
    assert devices.count() == 1
    assert devices.get().key == demo.DEMO_ADMIN_TOTP_KEY and devices.get().confirmed
    assert not TOTPDevice.objects.exclude(user=admin).exists()
    assert "TOTP" in out.getvalue()


@pytest.mark.django_db
def test_demo_totp_is_refused_without_debug_and_prints_a_code_with_force(kochi) -> None:
    demo.seed(stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("demo_totp")
    out = io.StringIO()
    call_command("demo_totp", "--force", stdout=out)
    assert re.match(r"^\d{6}  ", out.getvalue())


@pytest.mark.django_db
def test_demo_totp_knows_no_other_secret(kochi) -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_totp", "--force")
