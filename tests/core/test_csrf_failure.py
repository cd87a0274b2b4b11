"""The CSRF failure page: the app's own, in the user's language, nothing saved, the text kept."""

from django.test import Client

TEXT = "電話で母親から相談があった内容"


def _refused(language: str | None = None):
    client = Client(enforce_csrf_checks=True)
    if language:
        client.cookies["django_language"] = language
    return client.post(
        "/accounts/login/",
        {"notes": TEXT, "csrfmiddlewaretoken": "stale", "password": "secret words"},
        HTTP_REFERER="http://testserver/cases/1/",
    )


def test_csrf_failure_renders_without_the_database() -> None:
    # No django_db mark: any query here fails the test.
    response = _refused()
    assert response.status_code == 403
    body = response.content.decode()
    assert "何も保存されていません" in body
    assert "DEBUG" not in body
    assert TEXT in body
    assert "secret words" not in body
    assert 'href="http://testserver/cases/1/"' in body
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_csrf_failure_page_follows_the_language_choice() -> None:
    response = _refused("en")
    assert "Nothing has been saved" in response.content.decode()


def test_csrf_failure_does_not_link_to_another_site() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"notes": TEXT}, HTTP_REFERER="https://evil.test/")
    assert "evil.test" not in response.content.decode()
