"""Shared fixtures: Kochi's reference data and a few named people for permission tests.

- `counselor`: 高知市's counselor (owns the case in most tests)
- `colleague`: another counselor of 高知市
- `outsider`: a counselor of 室戸市 (another municipality, another jurisdiction)
- `aki_counselor`: a 安芸福祉保健所 counselor (the whole jurisdiction, 室戸市 included)
- `center`: the regional support centre (whole prefecture)
- `prefecture_staff`: aggregates only
- `admin_user`: administrator
- `national_staff`: prefecture staff with a blank prefecture code (every prefecture, aggregates)
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import User
from core.models import Jurisdiction, Municipality
from core.services import reference_data_load_default
from tests import recount

KOCHI_CITY = "392014"
MUROTO = "392022"
AKI_CITY = "392031"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load Kochi once per test database; tests run in transactions on top of it. From here
    on, writes to the tables the recount check reads are noted (tests/recount.py)."""
    with django_db_blocker.unblock():
        reference_data_load_default()
        watch = recount.CountedWrites(recount.tables_read_by_differences())
        watch.install()
    _COUNTED_WRITES.append(watch)
    yield
    _COUNTED_WRITES.remove(watch)
    watch.uninstall()


_COUNTED_WRITES: list[recount.CountedWrites] = []  # the session's, once a test used the database


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache."""
    cache.clear()


def pytest_configure(config: pytest.Config) -> None:
    # Every baked query (core.baked) is compared with its queryset compiled afresh.
    settings.BAKED_QUERIES_CHECK = True
    config.addinivalue_line(
        "markers",
        "aggregates_unchecked: the test changes counted rows with bare updates, so the "
        "dashboard's maintained aggregates are not compared with a recount after it",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After every test, the dashboard's maintained aggregates (kpi.aggregates) equal a
    recount of the records: whatever service the test went through kept them exact. The
    recount runs only when a statement wrote to a table it reads since the last recount
    that found no difference (tests/recount.py); otherwise its answer cannot have changed."""
    result = yield
    if _COUNTED_WRITES:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            found = _COUNTED_WRITES[-1].after_test(
                unchecked=item.get_closest_marker("aggregates_unchecked") is not None
            )
        assert not found, f"maintained KPI aggregates differ from a recount: {found[:5]}"
    return result


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Still Argon2 (tests/accounts/test_passwords.py checks the production setting)."""
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture
def kochi(db) -> None:
    """Reference data, reloaded for transactional tests (whose flush empties every table)."""
    if Municipality.objects.filter(prefecture_code="39").count() != 34:
        reference_data_load_default()


@pytest.fixture
def kochi_city(kochi) -> Municipality:
    return Municipality.objects.get(code=KOCHI_CITY)


@pytest.fixture
def muroto(kochi) -> Municipality:
    return Municipality.objects.get(code=MUROTO)


def make_user(
    username: str, role: str, *, municipalities=(), jurisdictions=(), prefecture_code="39"
) -> User:
    user = User.objects.create_user(
        username=username, password="correct horse battery staple", role=role,
        prefecture_code=prefecture_code,
    )  # fmt: skip
    user.municipalities.set(municipalities)
    user.jurisdictions.set(jurisdictions)
    return user


@pytest.fixture
def counselor(kochi_city) -> User:
    return make_user("counselor", User.Role.COUNSELOR, municipalities=[kochi_city])


@pytest.fixture
def colleague(kochi_city) -> User:
    return make_user("colleague", User.Role.COUNSELOR, municipalities=[kochi_city])


@pytest.fixture
def outsider(muroto) -> User:
    return make_user("outsider", User.Role.COUNSELOR, municipalities=[muroto])


@pytest.fixture
def aki_counselor(kochi) -> User:
    return make_user(
        "aki",
        User.Role.COUNSELOR,
        jurisdictions=[Jurisdiction.objects.get(name_ja="安芸福祉保健所")],
    )


@pytest.fixture
def center(kochi) -> User:
    return make_user("center", User.Role.CENTER)


@pytest.fixture
def prefecture_staff(kochi) -> User:
    return make_user("kencho", User.Role.PREFECTURE)


@pytest.fixture
def national_staff(kochi) -> User:
    return make_user("kokumin", User.Role.PREFECTURE, prefecture_code="")


@pytest.fixture
def admin_user(kochi) -> User:
    user = make_user("admin", User.Role.ADMIN)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def login(client):
    """`login(user)` logs the test client in and returns it."""

    def _login(user: User):
        client.force_login(user)
        # Admins (and users with a device) must pass the second factor (accounts.middleware);
        # tests log them in as if they had, with their device (one is made for an admin
        # without). tests/accounts/test_totp.py tests the factor itself.
        if otp.required_by_role(user) or otp.has_device(user):
            device = otp.confirmed_device(user) or TOTPDevice.objects.create(
                user=user, name="test", key=otp.new_key_hex(), confirmed=True
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return _login
