"""Background runs of large imports (customers.imports, more than LARGE_IMPORT_ROWS rows)."""

from __future__ import annotations

from celery import shared_task

from guanxi.core import context
from guanxi.core.periodic import crontab, periodic


def _job(job_id: int):
    from .models import ImportJob

    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is not None:
        # History rows and the audit event name the person who uploaded the file.
        context.set_actor(job.created_by_id)
    return job


@shared_task(name="customers.import_analyse")
def analyse_import(job_id: int) -> str:
    """Builds the preview of an import job (no customer data written)."""
    from . import imports

    job = _job(job_id)
    if job is None:
        return "missing"
    return imports.analyse(job).status


@shared_task(name="customers.import_commit")
def commit_import(job_id: int) -> str:
    """Writes an import job all or nothing, with the decisions stored on it."""
    from . import imports

    job = _job(job_id)
    if job is None:
        return "missing"
    return imports.commit(job, actor=job.created_by, decisions=job.decisions or {}).status


@periodic(crontab(hour=3, minute=10))
@shared_task(name="customers.purge_import_files")
def purge_import_files() -> int:
    """Deletes the files and preview rows of imports past the retention period (daily)."""
    from . import import_retention

    return import_retention.purge_expired()
