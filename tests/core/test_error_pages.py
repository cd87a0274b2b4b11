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
