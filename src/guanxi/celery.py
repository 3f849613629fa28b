"""Celery application. In production the broker is Redis (REDIS_URL) and `celery -A guanxi beat`
schedules the periodic jobs; the embedded default has no broker and `manage.py runscheduler`
runs the same task functions in-process (see core.periodic)."""

import os

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")

app = Celery("guanxi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_scheduler = "guanxi.celery:PeriodicScheduler"
app.autodiscover_tasks()

# The acting context outside each running task (a worker has none; runscheduler has its
# command's), restored when the task ends.
_outer_context: dict[str, object] = {}


@task_prerun.connect
def _enter_task_context(task_id=None, task=None, **kwargs):
    # Every history row and audit event written by a task carries its id.
    from guanxi.core import context

    _outer_context[task_id] = context.current()
    context.begin_task(task_id=task_id, name=getattr(task, "name", ""))


@task_postrun.connect
def _leave_task_context(task_id=None, **kwargs):
    from guanxi.core import context

    outer = _outer_context.pop(task_id, None)
    if outer is None:
        context.end()
    else:
        context._set(outer)


def periodic_schedule(celery_app=None) -> dict:
    """Beat entries for every job declared with core.periodic.periodic (imports the task
    modules first, so the declarations have run)."""
    from guanxi.core.periodic import beat_schedule

    (celery_app or app).loader.import_default_modules()
    return beat_schedule()


class PeriodicScheduler(PersistentScheduler):
    """Beat's default scheduler, with the entries from core.periodic.JOBS added before the
    schedule is read (CELERY_BEAT_SCHEDULE in settings may add more)."""

    def setup_schedule(self):
        self.app.conf.beat_schedule = {**periodic_schedule(self.app), **(self.app.conf.beat_schedule or {})}
        super().setup_schedule()
