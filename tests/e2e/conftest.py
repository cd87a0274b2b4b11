"""Browser tests: Debian's Chromium driven by Playwright against `live_server`.

Never Playwright's own browser download: Debian's `/usr/bin/chromium` (tests/e2e/browser.py;
`make test` installs it when run as root, and stops with one line saying what to install otherwise).
The Playwright sync API runs an event loop in the test thread, so Django's "async unsafe"
guard is lifted, during each browser test only, for the ORM calls the test and its fixtures make
(the live server runs in its own thread). Never process-wide: `check --deploy` refuses it.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import User
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, missing

PASSWORD = "correct horse battery staple"


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering by database use
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests `e2e` and run them last: Playwright's event loop stays in the
    test thread once started, and their flush empties the session's reference data."""
    browser = [item for item in items if "/tests/e2e/" in str(item.path)]
    problem = missing() if browser else None
    if problem:  # one line, not one stack trace per browser test
        pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)
    for item in browser:
        item.add_marker(pytest.mark.e2e)
    others = [item for item in items if "/tests/e2e/" not in str(item.path)]
    items[:] = others + browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
        "viewport": {"width": 1366, "height": 900},
        "accept_downloads": True,
    }


@pytest.fixture(scope="session")
def _async_unsafe_allowed() -> Iterator[None]:
    """From the first browser test (they run last) to the end of the session: Playwright's
    event loop runs in the test thread until then, database teardowns included."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _e2e_db(_async_unsafe_allowed, transactional_db, kochi) -> None:
    """live_server needs committed data: every browser test is transactional, with Kochi.

    A transactional test empties every table when it ends, the lists that data migrations
    seed included: seed the casework reference lists again (idempotent) for the next one."""
    import importlib

    from django.apps import apps

    importlib.import_module("casework.migrations.0002_reference_lists").seed(apps, None)


@pytest.fixture
def page_timeout(page):
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def browser_login(live_server, page_timeout) -> Callable[..., Any]:
    """`browser_login(user)`: log in through the login page (and the TOTP step for admins)."""
    page = page_timeout

    def _login(user: User, *, device: TOTPDevice | None = None):
        page.context.clear_cookies()
        page.goto(live_server.url + reverse("accounts:login"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        if device is not None:
            page.wait_for_url("**" + reverse("accounts:otp_verify") + "**")
            page.fill("#id_token", totp_code(device))
            page.press("#id_token", "Enter")
        page.wait_for_url(lambda url: "/accounts/" not in url)
        return page

    return _login


def totp_code(device: TOTPDevice) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def admin_device(admin_user) -> TOTPDevice:
    return TOTPDevice.objects.create(
        user=admin_user, name="phone", key=otp.new_key_hex(), confirmed=True
    )


@pytest.fixture
def url(live_server) -> Callable[..., str]:
    def _url(name: str, *args: Any, query: str = "") -> str:
        return live_server.url + reverse(name, args=args) + (f"?{query}" if query else "")

    return _url


@pytest.fixture
def ibasho(kochi_city) -> Iterator[Any]:
    from tests.factories import ResourceFactory

    yield ResourceFactory(name="ほっとスペース高知", municipality=kochi_city)
