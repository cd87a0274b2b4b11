from django.urls import reverse

from audit.models import AuditEvent

PASSWORD = "correct horse battery staple"


def test_login_page_renders_in_japanese(client, db) -> None:
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert 'name="username"' in body and 'name="password"' in body


def test_login_with_correct_password_redirects_home_and_is_audited(client, counselor) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": "counselor", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="login", username="counselor").count() == 1


def test_wrong_password_and_unknown_user_get_the_same_message(client, counselor) -> None:
    wrong = client.post(reverse("accounts:login"), {"username": "counselor", "password": "x" * 12})
    unknown = client.post(reverse("accounts:login"), {"username": "nobody", "password": "x" * 12})
    message = "ユーザー名またはパスワードが正しくありません。"
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


def test_logout_needs_post_and_ends_the_session(client, counselor) -> None:
    client.force_login(counselor)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # back to the login page
    assert AuditEvent.objects.filter(action="logout", username="counselor").count() == 1


def test_anonymous_user_is_sent_to_login(client, db) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_passwords_are_hashed_with_argon2(counselor) -> None:
    assert counselor.password.startswith("argon2")
