"""pytest plugin (loaded with -p before pytest-django): unless GUANXI_TEST_DB=sqlite, start a
real PostgreSQL and point DATABASE_URL at it before Django reads its settings."""

import os

import pytest

from .services import PostgresServer

_server = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server
    os.environ.setdefault("GUANXI_VAR_DIR", os.path.join(os.getcwd(), "var", "test"))
    if os.environ.get("GUANXI_TEST_DB", "postgres") == "postgres" and "DATABASE_URL" not in os.environ:
        _server = PostgresServer().start()
        os.environ["DATABASE_URL"] = _server.url


def pytest_unconfigure(config):
    if _server is not None:
        _server.stop()
