"""The admin's user form: role, prefecture and scope first; Django's unused permissions hidden;
labels in Japanese (third-party models too)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_user_form_starts_with_role_and_scope_and_hides_permissions(
    login, admin_user, counselor
) -> None:
    body = (
        login(admin_user)
        .get(reverse("admin:accounts_user_change", args=[counselor.pk]))
        .content.decode()
    )
    assert body.index('name="role"') < body.index('name="is_staff"')
    assert (
        body.index('name="role"')
        < body.index('name="prefecture_code"')
        < body.index('name="municipalities"')
    )
    assert body.index('name="municipalities"') < body.index('name="is_active"')
    assert 'name="user_permissions"' not in body
    assert 'name="groups"' not in body
    assert "役割と担当範囲" in body


def test_admin_index_names_every_app_in_japanese(login, admin_user) -> None:
    body = login(admin_user).get(reverse("admin:index")).content.decode()
    for english in ("Tasks Database Backend", "Otp_Totp", "TOTP device", "Task Result"):
        assert english not in body, english
    assert "二要素認証の端末" in body
