"""Fixtures shared by every test (keep this small; factories live in tests/support/org.py).

- `units`: a small unit tree (company ─┬─ sales ── east, └─ service), see support.org.make_units.
- `make_user(role=None, unit=None, *, scope=None, permissions=None, password=None, ...)`: a user
  holding `role` (a code or Role) in `unit`; `scope`/`permissions` set that role's data scope
  and permission codes (use `perms(Model, "view", ...)`).
- `perms(Model, *actions)`: permission codes, all five actions when none are given.
- `login(user)`: a django.test.Client logged in as `user` (no password needed).

Always on: English outside requests (messages match the msgids; pages keep the zh-Hans default
through the middleware), fast password hashing, static files without a manifest, and browser
tests (tests/browser) moved to the end of the run.

For whole-object-type scope tests use the mixins in tests/support/scoped.py.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.utils import translation

from tests.support import org

LOGIN_BACKEND = "guanxi.accounts.backends.PositionBackend"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last (after pytest-django's own ordering): once Playwright's event loop
    runs in the main thread, until the session ends, Django needs DJANGO_ALLOW_ASYNC_UNSAFE,
    which must not leak into the other tests (and their subprocesses)."""
    items[:] = [i for i in items if not i.get_closest_marker("browser")] + [i for i in items if i.get_closest_marker("browser")]


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """Fast password hashing (Argon2 stays the production default) and plain static files,
    so templates render without a collectstatic manifest."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
        yield


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code under test outside a request (services, tasks) speaks English, so tests can match
    the msgids; requests still choose their language through the middleware (zh-Hans default).
    Also undoes a language a request left active in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def units(db):
    return org.make_units()


@pytest.fixture
def make_user(db):
    return org.make_user


@pytest.fixture
def perms():
    return org.perms


@pytest.fixture
def login(db):
    def _login(user) -> Client:
        client = Client()
        client.force_login(user, backend=LOGIN_BACKEND)
        return client

    return _login


@pytest.fixture(autouse=True)
def _english_outside_requests_and_fresh_policy_cache():
    """Service-level messages are asserted in English (the msgids); pages still get zh-Hans by
    default because the locale middleware activates the language per request. The policy cache
    is per process, so it is cleared around each test (the database is rolled back), and so is
    the shared cache (cached principals and counts are keyed by ids a later test may reuse)."""
    from django.core.cache import cache
    from django.utils import translation

    from guanxi.policy.services import reset_cache

    cache.clear()
    reset_cache()
    translation.activate("en")
    yield
    translation.deactivate()
    reset_cache()
