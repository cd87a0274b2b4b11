"""Passwords: Argon2, at least 12 characters, common passwords refused."""

import importlib

import pytest
from django.contrib.auth.password_validation import CommonPasswordValidator, validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User


def production_settings():
    # The settings module as deployed (tests swap in a cheaper Argon2 for speed).
    return importlib.import_module("config.settings")


def test_argon2_is_the_hasher_new_passwords_get() -> None:
    hashers = production_settings().PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_stored_passwords_are_argon2id(counselor) -> None:
    assert counselor.password.startswith("argon2$argon2id$")


def test_minimum_length_is_12() -> None:
    validators = {
        v["NAME"].rsplit(".", 1)[1]: v for v in production_settings().AUTH_PASSWORD_VALIDATORS
    }
    assert validators["MinimumLengthValidator"]["OPTIONS"]["min_length"] == 12


@pytest.mark.django_db
def test_eleven_characters_are_refused_twelve_accepted() -> None:
    user = User(username="someone")
    with pytest.raises(ValidationError) as excinfo:
        validate_password("kq7#Vd2!mZp", user)  # 11
    assert any(e.code == "password_too_short" for e in excinfo.value.error_list)
    validate_password("kq7#Vd2!mZpw", user)  # 12: no error


@pytest.mark.django_db
def test_common_passwords_are_refused_even_when_long() -> None:
    common = next(p for p in CommonPasswordValidator().passwords if len(p) >= 12)
    with pytest.raises(ValidationError) as excinfo:
        validate_password(common, User(username="someone"))
    assert any(e.code == "password_too_common" for e in excinfo.value.error_list)


@pytest.mark.django_db
def test_password_change_page_refuses_a_short_password(login, counselor) -> None:
    client = login(counselor)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct horse battery staple",
            "new_password1": "short1!",
            "new_password2": "short1!",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    counselor.refresh_from_db()
    assert counselor.check_password("correct horse battery staple")
