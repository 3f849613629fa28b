"""A real Redis and a real `celery -A guanxi worker` subprocess: what a task writes carries
source "task" and the task id. Transactional, so the worker sees committed rows."""

import datetime as dt

import pytest
from celery import Celery

from guanxi.core.models import AuditEvent, WorkdayOverride
from guanxi.core.tasks import CALENDAR_EVENT
from tests.support.services import CeleryWorker, RedisServer

pytestmark = [pytest.mark.worker, pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_server, tmp_path_factory):
    w = CeleryWorker(redis_server.url, include=("tests.support.tasks",), log_dir=tmp_path_factory.mktemp("worker"))
    with django_db_blocker.unblock():
        w.start()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def sender(redis_server):
    """A client of the test broker (this process's own app runs tasks eagerly, no broker)."""
    client = Celery("guanxi-test-client", broker=redis_server.url, backend=redis_server.url, set_as_current=False)
    yield client
    client.close()


def test_task_audit_event_carries_task_id(worker, sender):
    result = sender.send_task("core.check_calendar", kwargs={"today": "2099-06-01"})
    assert worker.wait(result) == [2099, 2100]
    events = list(AuditEvent.objects.filter(event_type=CALENDAR_EVENT))
    assert len(events) == 2
    assert {(e.source, e.task_id) for e in events} == {("task", result.id)}


def test_task_history_row_carries_task_id(worker, sender):
    result = sender.send_task("tests.add_holiday", kwargs={"date": "2099-10-01", "note": "National Day"})
    pk = worker.wait(result)
    override = WorkdayOverride.objects.get(pk=pk)
    assert override.date == dt.date(2099, 10, 1)
    rows = list(override.history.all())
    assert [(r.history_type, r.history_source, r.history_task_id) for r in rows] == [("+", "task", result.id)]
    event = AuditEvent.objects.get(event_type="workdays.override_added")
    assert (event.source, event.task_id) == ("task", result.id)
