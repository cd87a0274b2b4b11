"""Error pages in production: generic, no stack trace, no exception text."""

from unittest import mock

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_a_view_raising_gives_the_generic_500_page(login, counselor) -> None:
    assert settings.DEBUG is False
    client = login(counselor)
    client.raise_request_exception = False
    with mock.patch("core.views.home_panels", side_effect=RuntimeError("高知 太郎 の相談内容")):
        response = client.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "エラーが発生しました" in body
    for leak in ("Traceback", "RuntimeError", "高知 太郎", "home_panels", "core/views.py"):
        assert leak not in body


@pytest.mark.django_db
def test_unknown_page_gives_the_plain_404(login, counselor) -> None:
    response = login(counselor).get("/cases/999999/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def assert_plain_bilingual_page(body: str, status: int) -> None:
    """Japanese first, then English, each part marked with its language."""
    ja = body.index('<div lang="ja">')
    en = body.index('<div lang="en">')
    assert ja < en
    assert f"エラー（{status}）" in body[ja:en] and "ホームへ戻る" in body[ja:en]
    assert f"Error ({status})" in body[en:] and "Back to the home page" in body[en:]


def test_plain_page_is_bilingual_without_database_or_translations() -> None:
    """No database (no django_db mark: any query would fail) and no translation machinery."""
    from core.errors import _render

    broken = mock.Mock(side_effect=RuntimeError("translations unavailable"))
    with (
        mock.patch("core.errors.loader.render_to_string", wraps=_failing_except_plain),
        mock.patch("django.utils.translation.get_language", broken),
        mock.patch("django.utils.translation.gettext", broken),
        mock.patch("django.utils.formats.get_format", broken),  # no localized numbers
    ):
        response = _render(None, "errors/500.html", 500)
    assert response.status_code == 500
    assert_plain_bilingual_page(response.content.decode(), 500)


def _failing_except_plain(template: str, *args, **kwargs) -> str:
    from django.template import loader

    if template != "errors/plain.html":
        raise RuntimeError("the normal error template cannot be rendered")
    return loader.get_template(template).render(*args, **kwargs)


@pytest.mark.django_db
def test_database_down_and_503_template_failing_gives_the_bilingual_plain_page(
    login, counselor
) -> None:
    from django.db import OperationalError

    client = login(counselor)
    with (
        mock.patch("core.views.home_panels", side_effect=OperationalError("gone")),
        mock.patch("core.errors.loader.render_to_string", wraps=_failing_except_plain),
    ):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert_plain_bilingual_page(body, 503)
    assert "Traceback" not in body and "OperationalError" not in body
