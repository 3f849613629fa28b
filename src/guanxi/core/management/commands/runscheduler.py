import time
from datetime import datetime

from celery import current_app
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from guanxi.core.periodic import JOBS


class Command(BaseCommand):
    help = "Run the periodic jobs in-process (embedded default; production uses Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=float, default=30.0, help="seconds between checks for due jobs")

    def handle(self, *args, once=False, tick=30.0, **opts):
        self.verbosity = opts.get("verbosity", 1)
        current_app.loader.import_default_modules()  # the task modules declare the jobs
        if not JOBS:
            self.stderr.write("No periodic jobs are declared.")
            return
        last: dict[str, datetime] = {}
        failures = 0
        while True:
            for job in list(JOBS.values()):
                if once or self._due(job, last.get(job.name)):
                    last[job.name] = timezone.now()
                    failures += not self._run(job.name)
            if once:
                if failures:
                    # A non-zero exit for --once, so cron or a deploy check notices.
                    raise SystemExit(1)
                return
            close_old_connections()  # a long-running process: drop broken or expired connections
            time.sleep(tick)

    @staticmethod
    def _due(job, last_run: datetime | None) -> bool:
        # Every job runs once at start (jobs are idempotent), then on its schedule.
        return last_run is None or job.schedule.is_due(last_run).is_due

    def _run(self, name) -> bool:
        task = current_app.tasks[name]
        started = time.monotonic()
        try:
            # apply() runs the task body here, with the same signals (and so the same acting
            # context: source "task" and a task id) as a worker.
            result = task.apply()
        except Exception as exc:  # keep the scheduler alive
            self.stderr.write(f"{name} failed: {exc!r}")
            return False
        if result.failed():
            self.stderr.write(f"{name} failed: {result.result!r}")
            return False
        if self.verbosity >= 2:
            self.stdout.write(f"{name} done in {time.monotonic() - started:.2f}s: {result.result!r}")
        return True
