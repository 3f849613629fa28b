"""Retention of import files (policy `security.import_file_retention_days`; seed 001 §4.1,
PIPL art. 19): an import's uploaded file, error report and preview rows carry contacts' names
and mobiles, so they are deleted once the import has been over for that long — imported,
failed, or left unfinished (measured from its last change). The job keeps its counts and
outcome, and says when and under which clause its files went; a purged job cannot be mapped,
previewed or committed again (the user uploads the file anew).

`purge_expired()` runs daily (tasks_imports.purge_import_files); each purge is audited with the
policy version and clause.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.errors import DomainError

from .models import ImportJob, ImportStatus

log = logging.getLogger(__name__)

CLAUSE = "security.import_file_retention_days"
_RUNNING = (ImportStatus.ANALYSING, ImportStatus.COMMITTING)


def _policy():
    from guanxi.policy.services import current

    return current()


def require_file(job: ImportJob) -> None:
    """Refuses to work on a job whose files were deleted under the retention policy."""
    if job.purged_at is not None:
        raise DomainError(
            _("The uploaded file of this import was deleted on %(date)s under the retention policy. Upload the file again.")
            % {"date": timezone.localdate(job.purged_at).isoformat()},
            code="purged",
        )


def expired(now: dt.datetime | None = None, *, policy=None):
    """Jobs whose files are due for deletion: ended (or last changed, when never finished) more
    than the retention period ago, not running, not purged yet."""
    policy = policy or _policy()
    cutoff = (now or timezone.now()) - dt.timedelta(days=policy.security.import_file_retention_days)
    ended = Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, updated_at__lt=cutoff)
    return ImportJob.objects.filter(ended, purged_at__isnull=True).exclude(status__in=_RUNNING)


def purge(job: ImportJob, *, policy=None, now: dt.datetime | None = None) -> None:
    """Deletes the job's uploaded file, error report and preview rows (audited)."""
    policy = policy or _policy()
    now = now or timezone.now()
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.purged_at is not None:
            return
        files = [f for f in (locked.file, locked.error_report) if f]
        names = [f.name for f in files]
        locked.preview, locked.decisions = {}, {}
        locked.file, locked.error_report = "", ""
        locked.purged_at = now
        locked.save()
        audit.record(
            "customers.import_files_deleted",
            subject=locked,
            data={
                "file": locked.original_name,
                "policy_version": policy.version,
                "clause": CLAUSE,
                "retention_days": policy.security.import_file_retention_days,
            },
        )
        # The stored files go once the row says so; a failed delete leaves an orphan file, not
        # a job pointing at nothing.
        transaction.on_commit(lambda: _delete_files(files, names))
    job.refresh_from_db()


def _delete_files(files, names) -> None:
    for f, name in zip(files, names, strict=True):
        try:
            f.storage.delete(name)
        except OSError:
            log.exception("could not delete the import file %s", name)


def purge_expired(now: dt.datetime | None = None) -> int:
    """Purges every expired job; returns how many."""
    policy = _policy()
    count = 0
    for job in expired(now, policy=policy).order_by("pk").iterator():
        purge(job, policy=policy, now=now)
        count += 1
    return count
