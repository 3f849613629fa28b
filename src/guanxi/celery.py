"""Celery application. In production the broker is Redis (REDIS_URL); the embedded default
has no broker and runs the same task functions in-process (see core.scheduler)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")

app = Celery("guanxi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _enter_task_context(task_id=None, task=None, **kwargs):
    # Every history row and audit event written by a task carries its id.
    from guanxi.core.context import begin_task

    begin_task(task_id=task_id, name=getattr(task, "name", ""))


@task_postrun.connect
def _leave_task_context(**kwargs):
    from guanxi.core.context import end

    end()
