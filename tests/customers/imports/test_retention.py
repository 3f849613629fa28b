"""Import files are kept only as long as the policy says (security.import_file_retention_days):
then the uploaded file, the error report and the preview rows go, the job keeps its counts and
outcome, and nothing can be done with it but upload the file again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core.models import AuditEvent
from guanxi.customers import import_retention
from guanxi.customers.models import ImportJob, ImportStatus
from guanxi.customers.tasks_imports import purge_import_files

from .conftest import good_row, xlsx_bytes
from .test_flow import check, commit, start

pytestmark = pytest.mark.django_db


def bad_row(n: int) -> list:
    row = good_row(n)
    row[1] = "91310000ABCDEFGHIJ"  # a credit code with a wrong check digit
    return row


def age(job: ImportJob, days: int, *, finished: bool) -> None:
    then = timezone.now() - dt.timedelta(days=days)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=then, finished_at=then if finished else None)


def test_files_and_rows_of_an_old_import_are_deleted(env, login, django_capture_on_commit_callbacks):
    client = login(env.importer)
    done = commit(client, check(client, start(client, xlsx_bytes([good_row(1), good_row(2)])))[0])
    assert done.status == ImportStatus.DONE
    left = check(client, start(client, xlsx_bytes([good_row(3), bad_row(4)])))[0]  # never committed
    assert left.status == ImportStatus.READY and left.error_report and left.preview["errors"]
    recent = start(client, xlsx_bytes([good_row(5)]))
    storage, paths = done.file.storage, [done.file.name, left.file.name, left.error_report.name]
    assert all(storage.exists(p) for p in paths)
    age(done, 31, finished=True)
    age(left, 31, finished=False)
    age(recent, 29, finished=False)

    with django_capture_on_commit_callbacks(execute=True):  # the files go when the rows are committed
        assert purge_import_files.apply().result == 2  # the daily task, under the shipped 30 days
    for job in (done, left):
        job.refresh_from_db()
        assert job.purged_at is not None and not job.file and not job.error_report
        assert job.preview == {} and job.decisions == {}
    assert not any(storage.exists(p) for p in paths)
    assert done.status == ImportStatus.DONE and done.counts["created"] == 2  # the outcome stays
    recent.refresh_from_db()
    assert recent.purged_at is None and recent.file and storage.exists(recent.file.name)
    events = AuditEvent.objects.filter(event_type="customers.import_files_deleted").order_by("subject_id")
    assert [e.subject_id for e in events] == [str(done.pk), str(left.pk)]
    assert {(e.data["clause"], e.data["retention_days"]) for e in events} == {("security.import_file_retention_days", 30)}
    assert all(e.data["policy_version"] for e in events)
    assert import_retention.purge_expired() == 0  # once only


def test_a_running_import_is_left_alone(env, login):
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1)]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    age(job, 400, finished=False)
    assert import_retention.purge_expired() == 0


def test_a_purged_import_says_so_and_refuses_work(env, login):
    client = login(env.importer)
    job = check(client, start(client, xlsx_bytes([good_row(1), bad_row(2)])))[0]
    age(job, 31, finished=False)
    import_retention.purge_expired()
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="files-deleted"' in page and "30 days" in page and 'id="mapping-form"' not in page
    assert 'id="download-report"' not in page and "Upload the file again" in page
    report = client.get(reverse("customers:import_report", args=[job.pk]), follow=True)
    assert report.status_code == 200 and "error report was deleted" in report.content.decode()
    _job, response = check(client, job, {"0": "name"})
    assert response.status_code == 400 and "deleted on" in response.content.decode()
    response = client.post(reverse("customers:import_commit", args=[job.pk]), {}, follow=True)
    assert response.status_code == 200 and "deleted on" in response.content.decode()


def test_the_upload_page_says_how_long_files_are_kept(env, login):
    page = login(env.importer).get(reverse("customers:import")).content.decode()
    assert 'id="retention-note"' in page and "deleted 30 days after the import ends" in page


def test_the_period_comes_from_the_policy(env, login, monkeypatch):
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    data = default_policy().model_dump(mode="json")
    data["security"]["import_file_retention_days"] = 7
    policy = policy_services.validate(data).with_version(42)
    monkeypatch.setattr(policy_services, "current", lambda: policy)
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1)]))
    age(job, 8, finished=False)
    assert import_retention.purge_expired() == 1
    event = AuditEvent.objects.get(event_type="customers.import_files_deleted")
    assert event.data["policy_version"] == 42 and event.data["retention_days"] == 7
    assert "deleted 7 days after" in client.get(reverse("customers:import")).content.decode()
