"""Management commands as real subprocesses (manage.py stamps the acting context): they need a
database another process can reach, so they run on the PostgreSQL test database."""

import pytest

from guanxi.accounts.models import User
from guanxi.core.periodic import JOBS
from tests.support.services import manage

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_command_changes_are_stamped_command():
    done = manage(
        "createsuperuser",
        "--noinput",
        "--username",
        "cmd-admin",
        "--email",
        "cmd@example.com",
        DJANGO_SUPERUSER_PASSWORD="a long Passw0rd!",
    )
    assert done.returncode == 0, done.stderr
    user = User.objects.get(username="cmd-admin")
    rows = list(user.history.all())
    assert rows, "the command left no history row"
    assert {r.history_source for r in rows} == {"command"}
    assert all(r.history_task_id for r in rows), "command history rows carry the run id"
    assert len({r.history_task_id for r in rows}) == 1, "one command run, one run id"


def test_runscheduler_once_as_a_command():
    done = manage("runscheduler", "--once", "-v", "2")
    assert done.returncode == 0, done.stderr
    for name in JOBS:
        assert f"{name} done" in done.stdout, f"{name} did not run:\n{done.stdout}\n{done.stderr}"
