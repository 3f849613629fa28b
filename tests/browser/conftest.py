"""Browser tests: pytest-playwright driving Debian's Chromium (/usr/bin/chromium; never run
`playwright install`) against pytest-django's live_server. Every test here is marked `browser`.

Fixtures:
- `signed_in(role_code="general_manager", *, permissions=None, scope=None, **user_fields)`: creates
  a user holding that role (the shipped system role; `permissions`/`scope` change it) and signs
  in through the real login form; returns the user. The `page` is then on the dashboard.
- `url(name, *args, **kwargs)`: absolute live-server URL of a URL name.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from guanxi.accounts.roles import ensure_system_roles
from tests.support import org

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "Browser-test-passw0rd"


def _is_browser_test(item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the mark must be there before `-m "not browser"` deselects. (tests/conftest.py
    # then moves browser tests to the end of the run.)
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    # Playwright's sync API runs an asyncio loop in this thread; Django would refuse database
    # access from "async" code otherwise. Set before the session fixtures start Playwright.
    if _is_browser_test(item):
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def url(live_server):
    def _url(name: str, *args, **kwargs) -> str:
        return live_server.url + reverse(name, args=args or None, kwargs=kwargs or None)

    return _url


@pytest.fixture
def signed_in(page, url, transactional_db):
    def _sign_in(role_code: str = "general_manager", *, permissions=None, scope: str | None = None, **fields):
        # The system roles as shipped (a transactional test flushes the ones migrations seeded);
        # `permissions` / `scope` change the role for this test.
        ensure_system_roles()
        user = org.make_user(role_code, permissions=permissions, scope=scope, password=PASSWORD, **fields)
        page.goto(url("accounts:login"))
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form:has(input[name=password]) [type=submit]")
        page.wait_for_url(url("dashboard"))
        return user

    return _sign_in


def pytest_configure(config):
    # pytest-base-url (pulled in by pytest-playwright) defines a session fixture the way pytest
    # 9 deprecates; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning")
