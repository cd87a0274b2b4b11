"""Second factor (TOTP): required for admins, offered to everyone, codes never reused."""

import time
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import LoginThrottle, User
from audit.models import AuditEvent

PASSWORD = "correct horse battery staple"


def code_for(key_hex: str, offset_steps: int = 0, now: float | None = None) -> str:
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    totp.time = (now if now is not None else time.time()) + 30 * offset_steps
    return f"{totp.token():06d}"


def password_login(username: str) -> tuple[Client, object]:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    return client, response


def give_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", key=otp.new_key_hex(), confirmed=True)


@pytest.mark.django_db
def test_admin_without_device_is_sent_to_enrol_and_reaches_nothing_else(admin_user) -> None:
    client, response = password_login("admin")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_enrol"))
    for url in ["/", reverse("audit:list"), "/admin/", reverse("accounts:password_change"),
                reverse("accounts:otp_settings"), reverse("accounts:otp_verify")]:  # fmt: skip
        blocked = client.get(url)
        assert blocked.status_code == 302, url
        assert blocked["Location"].startswith(reverse("accounts:otp_enrol")), url
    # A POST elsewhere is refused the same way (no write slips through).
    assert client.post(reverse("accounts:password_change"), {}).status_code == 302


@pytest.mark.django_db
def test_admin_enrols_with_an_inline_svg_qr_code_and_then_gets_in(admin_user) -> None:
    client, _ = password_login("admin")
    page = client.get(reverse("accounts:otp_enrol"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "<img" not in body
    key_hex = client.session[otp.ENROL_KEY]
    assert otp.key_base32(key_hex) in body  # the secret in text, for typing in
    assert not TOTPDevice.objects.filter(user=admin_user).exists()  # a GET writes nothing

    wrong = client.post(reverse("accounts:otp_enrol"), {"token": "000000"})
    if wrong.status_code == 200:  # (000000 could be the right code once in a million)
        assert wrong.context["form"].errors["token"]
        assert client.get("/").status_code == 302

    done = client.post(reverse("accounts:otp_enrol"), {"token": code_for(key_hex)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get(reverse("audit:list")).status_code == 200
    device = TOTPDevice.objects.get(user=admin_user)
    assert device.confirmed and device.key == key_hex
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="otp_totp.totpdevice"
    ).exists()


@pytest.mark.django_db
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)  # no back-off between the two tries
def test_admin_with_device_must_type_a_code_after_the_password(admin_user) -> None:
    device = give_device(admin_user)
    client, response = password_login("admin")
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get("/admin/").status_code == 302

    wrong = client.post(reverse("accounts:otp_verify"), {"token": code_for(device.key, 5)})
    assert wrong.status_code == 200
    assert AuditEvent.objects.filter(action="login_failed", reason="totp").count() == 1

    right = client.post(reverse("accounts:otp_verify"), {"token": code_for(device.key)})
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="login", reason="totp").count() == 1


@pytest.mark.django_db
def test_a_code_is_accepted_only_once(admin_user) -> None:
    device = give_device(admin_user)
    token = code_for(device.key)
    first, _ = password_login("admin")
    assert first.post(reverse("accounts:otp_verify"), {"token": token}).status_code == 302
    second, _ = password_login("admin")
    replay = second.post(reverse("accounts:otp_verify"), {"token": token})
    assert replay.status_code == 200
    assert second.get("/").status_code == 302


@pytest.mark.django_db
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_codes_one_step_either_side_are_accepted_two_are_not(admin_user) -> None:
    device = give_device(admin_user)
    client, _ = password_login("admin")
    # The clock is held in the middle of a step, so a slow machine cannot cross a boundary.
    now = (int(time.time()) // 30) * 30 + 15
    with mock.patch("django_otp.oath.time", return_value=now):
        far = client.post(
            reverse("accounts:otp_verify"), {"token": code_for(device.key, -2, now=now)}
        )
        assert far.status_code == 200
        near = client.post(
            reverse("accounts:otp_verify"), {"token": code_for(device.key, -1, now=now)}
        )
        assert near.status_code == 302


@pytest.mark.django_db
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_repeated_wrong_codes_lock_the_username_and_end_the_session(admin_user) -> None:
    device = give_device(admin_user)
    client, _ = password_login("admin")
    for _ in range(4):
        assert (
            client.post(
                reverse("accounts:otp_verify"), {"token": code_for(device.key, 9)}
            ).status_code
            == 200
        )
    last = client.post(reverse("accounts:otp_verify"), {"token": code_for(device.key, 9)})
    assert last.status_code == 302
    assert last["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session
    assert LoginThrottle.objects.get(username_key="admin").locked_until is not None
    # The password alone no longer lets them back in to try again.
    _again, response = password_login("admin")
    assert response.status_code == 200


@pytest.mark.django_db
def test_wrong_codes_are_slowed_down(admin_user) -> None:
    device = give_device(admin_user)
    client, _ = password_login("admin")
    client.post(reverse("accounts:otp_verify"), {"token": code_for(device.key, 9)})
    # Right away, even the right code waits out the back-off (django-otp throttling).
    response = client.post(reverse("accounts:otp_verify"), {"token": code_for(device.key)})
    assert response.status_code == 200
    assert "秒ほど待って" in response.content.decode()


@pytest.mark.django_db
def test_counselor_without_device_logs_in_with_the_password_alone(counselor) -> None:
    client, response = password_login("counselor")
    assert response["Location"] == reverse("home")
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_counselor_can_enrol_and_then_needs_a_code_at_login(login, counselor) -> None:
    client = login(counselor)
    assert client.get(reverse("accounts:otp_settings")).status_code == 200
    client.get(reverse("accounts:otp_enrol"))
    key_hex = client.session[otp.ENROL_KEY]
    assert (
        client.post(reverse("accounts:otp_enrol"), {"token": code_for(key_hex)}).status_code == 302
    )
    assert client.get("/").status_code == 200  # this session is verified by the enrolment

    later, response = password_login("counselor")
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert later.get("/").status_code == 302


@pytest.mark.django_db
def test_counselor_disables_with_the_password(login, counselor) -> None:
    give_device(counselor)
    client = login(counselor)
    wrong = client.post(reverse("accounts:otp_disable"), {"password": "not the password"})
    assert wrong.status_code == 200
    assert TOTPDevice.objects.filter(user=counselor).exists()
    right = client.post(reverse("accounts:otp_disable"), {"password": PASSWORD})
    assert right.status_code == 302
    assert not TOTPDevice.objects.filter(user=counselor).exists()
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.DELETE, object_type="otp_totp.totpdevice"
        ).count()
        == 1
    )
    _, response = password_login("counselor")
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_admin_cannot_disable_the_second_factor(login, admin_user) -> None:
    give_device(admin_user)
    client = login(admin_user)
    response = client.post(reverse("accounts:otp_disable"), {"password": PASSWORD})
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=admin_user).exists()


@pytest.mark.django_db
def test_user_promoted_to_admin_mid_session_must_enrol(login, counselor) -> None:
    client = login(counselor)
    assert client.get("/").status_code == 200
    User.objects.filter(pk=counselor.pk).update(role=User.Role.ADMIN)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_enrol"))


@pytest.mark.django_db
def test_enrol_qr_code_and_verify_page_reference_no_external_host(admin_user) -> None:
    client, _ = password_login("admin")
    body = client.get(reverse("accounts:otp_enrol")).content.decode()
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in body


def replace_form(client: Client) -> tuple[str, dict[str, str]]:
    page = client.get(reverse("accounts:otp_enrol"))
    assert page.status_code == 200
    assert {"password", "current_token", "token"} <= set(page.context["form"].fields)
    key_hex = client.session[otp.ENROL_KEY]
    return key_hex, {"password": PASSWORD, "token": code_for(key_hex)}


@pytest.mark.django_db
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
@pytest.mark.parametrize("who", ["admin_user", "counselor"])
def test_replacing_the_device_needs_the_password_and_a_current_code(
    request: pytest.FixtureRequest, login, who: str
) -> None:
    user = request.getfixturevalue(who)
    old = give_device(user)
    client = login(user)
    key_hex, data = replace_form(client)

    missing = client.post(reverse("accounts:otp_enrol"), {"token": data["token"]})
    assert missing.status_code == 200
    assert set(missing.context["form"].errors) == {"password", "current_token"}

    wrong_password = client.post(
        reverse("accounts:otp_enrol"),
        {**data, "password": "not the password", "current_token": code_for(old.key)},
    )
    assert wrong_password.context["form"].errors["password"]

    wrong_code = client.post(
        reverse("accounts:otp_enrol"), {**data, "current_token": code_for(old.key, 5)}
    )
    assert wrong_code.status_code == 200
    assert wrong_code.context["form"].errors["current_token"]
    assert AuditEvent.objects.filter(action="denied", reason="totp-replace").count() == 1
    assert list(TOTPDevice.objects.filter(user=user)) == [old]  # nothing changed

    done = client.post(reverse("accounts:otp_enrol"), {**data, "current_token": code_for(old.key)})
    assert done.status_code == 302
    new = TOTPDevice.objects.get(user=user)
    assert new.key == key_hex and new.pk != old.pk
    assert client.get("/").status_code == 200  # this session is verified by the new device


@pytest.mark.django_db
def test_the_verified_state_is_django_otps_and_a_new_login_starts_without_it(admin_user) -> None:
    device = give_device(admin_user)
    client, _ = password_login("admin")
    assert DEVICE_ID_SESSION_KEY not in client.session
    client.post(reverse("accounts:otp_verify"), {"token": code_for(device.key)})
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "otp_state" not in client.session
    assert client.get("/admin/").status_code == 200
    # The password again, in the same browser: the second factor is owed again.
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": "admin", "password": PASSWORD})
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 302
