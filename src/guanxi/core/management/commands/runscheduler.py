import time
from datetime import datetime

from celery import current_app
from celery.schedules import crontab
from django.core.management.base import BaseCommand
from django.utils import timezone

from guanxi.core.periodic import JOBS


class Command(BaseCommand):
    help = "Run the periodic jobs in-process (embedded default; production uses Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=float, default=30.0)

    def handle(self, *args, once=False, tick=30.0, **opts):
        current_app.loader.import_default_modules()
        last: dict[str, float] = {}
        while True:
            now = time.time()
            for job in JOBS.values():
                if once or self._due(job, last.get(job.name), now):
                    last[job.name] = now
                    self._run(job.name)
            if once:
                return
            time.sleep(tick)

    def _due(self, job, last_run, now):
        if last_run is None:
            return True
        if isinstance(job.schedule, crontab):
            due = job.schedule.is_due(datetime.fromtimestamp(last_run, tz=timezone.get_current_timezone()))
            return due.is_due
        return now - last_run >= float(job.schedule)

    def _run(self, name):
        task = current_app.tasks[name]
        try:
            # apply() runs the task body here, with the same signals (and so audit context) as a worker.
            task.apply()
        except Exception as exc:  # keep the scheduler alive; the failure is logged
            self.stderr.write(f"{name} failed: {exc!r}")
