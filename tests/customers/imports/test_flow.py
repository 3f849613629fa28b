"""The import pages end to end: upload → mapping → preview → commit (F-CUS-8)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from guanxi.core.models import AuditEvent
from guanxi.customers import imports
from guanxi.customers.models import Contact, Customer, ImportJob, ImportStatus

from .conftest import HEADERS, credit_code, good_row, upload, xlsx_bytes


def check(client, job, mapping=None):
    """Posts the (automatic or given) mapping and returns the refreshed job."""
    mapping = job.mapping if mapping is None else mapping
    data = {f"col-{i}": mapping.get(str(i), "") for i in range(len(job.headers))}
    response = client.post(reverse("customers:import_mapping", args=[job.pk]), data)
    assert response.status_code in (302, 400), response.status_code
    job.refresh_from_db()
    return job, response


def commit(client, job, **decisions):
    data = {f"decision-{k}": v for k, v in decisions.items()}
    response = client.post(reverse("customers:import_commit", args=[job.pk]), data)
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def start(client, data, name="customers.xlsx"):
    response = upload(client, data, name)
    assert response.status_code == 302, response.content[:2000]
    return ImportJob.objects.latest("pk")


def report_rows(client, job):
    response = client.get(reverse("customers:import_report", args=[job.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_pages_need_the_import_permission(env, login):
    for user in (env.viewer, env.rep):
        client = login(user)
        assert client.get(reverse("customers:import")).status_code == 403
        assert upload(client, xlsx_bytes([good_row(1)])).status_code == 403
    assert ImportJob.objects.count() == 0


def test_anonymous_is_sent_to_login(client, env):
    response = client.get(reverse("customers:import"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_auto_mapping_shown_on_the_mapping_page(env, login):
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1)]))
    assert job.mapping["0"] == "name" and job.mapping["1"] == "credit_code" and job.mapping["8"] == "contact_mobile"
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert b'<option value="credit_code" selected>' in page.content


def test_two_bad_rows_reported_nothing_committed_then_fixed_file_commits(env, login):
    client = login(env.importer)
    rows = [good_row(1), good_row(2, 统一社会信用代码="91310000000000002X"), good_row(3), good_row(4, 手机="12345"), good_row(5)]
    job = start(client, xlsx_bytes(rows))
    job, _ = check(client, job)
    assert job.status == ImportStatus.READY
    assert job.counts["rows"] == 5 and job.counts["errors"] == 2
    errors = {e["row"]: " ".join(e["messages"]) for e in job.preview["errors"]}
    assert set(errors) == {3, 5}
    assert "check character" in errors[3]
    assert "mobile" in errors[5]
    page = client.get(job.get_absolute_url())
    assert b'data-error-row="3"' in page.content and b'data-error-row="5"' in page.content

    # Commit refused: nothing written.
    before = Customer.objects.count()
    job = commit(client, job)
    assert Customer.objects.count() == before
    assert job.status == ImportStatus.READY

    # The error report lists both rows with their messages.
    sheets = report_rows(client, job)
    errors_sheet = sheets["Errors"]
    assert errors_sheet[0][0] == "Row" and errors_sheet[0][-1] == "Errors"
    assert [r[0] for r in errors_sheet[1:]] == [3, 5]
    assert "check character" in errors_sheet[1][-1]

    # Fixed file: everything commits.
    rows[1] = good_row(2)
    rows[3] = good_row(4)
    job = start(client, xlsx_bytes(rows))
    job, _ = check(client, job)
    assert job.counts["errors"] == 0
    job = commit(client, job)
    assert job.status == ImportStatus.DONE, job.message
    assert job.counts["created"] == 5
    created = Customer.objects.filter(name__startswith="测试").order_by("name")
    assert created.count() == 5
    c = created.first()
    assert c.credit_code == credit_code(1)
    assert c.category == "distributor" and c.source == "exhibition" and c.status == "potential"
    assert c.owner == env.importer and c.unit == env.company
    assert c.name_key and c.initials.startswith("cs") and c.phone_key == "02160000001"
    assert c.filing_deadline is not None
    assert c.history.count() == 1
    contact = Contact.objects.get(customer=c)
    assert contact.name == "联系人1" and contact.mobile == "13900000001" and contact.is_primary
    assert contact.history.count() == 1
    event = AuditEvent.objects.get(event_type="customers.imported")
    assert event.data["created"] == 5 and event.actor == env.importer


def test_database_and_file_duplicates_with_skip_and_update(env, login, make_customer):
    existing = make_customer("测试001贸易有限公司", owner=env.rep, industry="旧行业")
    other = make_customer("别家公司", owner=env.rep_west, unit=env.west, phone="021-60000002")
    client = login(env.importer)
    rows = [
        good_row(1, 行业="钢铁"),  # same name as `existing` → update
        good_row(2),  # same phone as `other` → skip
        good_row(3),
        good_row(3, 统一社会信用代码="", 电话="", 手机="", 联系人="第二联系人", 地址="新地址"),  # same as row 4 by name → update
        good_row(5),
        good_row(6, 客户名称="测试005贸易有限公司", 统一社会信用代码="", 电话="", 手机="", 联系人=""),  # dup of row 6 → skip
    ]
    job = start(client, xlsx_bytes(rows))
    job, _ = check(client, job)
    dups = {d["row"]: d for d in job.preview["duplicates"]}
    assert set(dups) == {2, 3, 5, 7}
    assert dups[2]["hits"][0]["id"] == existing.pk and dups[2]["hits"][0]["reasons"] == ["name"]
    assert dups[3]["hits"][0]["name"] == "别家公司" and dups[3]["hits"][0]["reasons"] == ["phone"]
    assert dups[5]["in_file_of"] == 4 and dups[7]["in_file_of"] == 6
    assert job.counts["in_db"] == 2 and job.counts["in_file"] == 2
    page = client.get(job.get_absolute_url())
    assert b'data-duplicate-row="5"' in page.content

    job = commit(client, job, **{"2": "update", "3": "skip", "5": "update", "7": "skip"})
    assert job.status == ImportStatus.DONE, job.message
    assert job.counts == {**job.counts, "created": 2, "updated": 1, "skipped": 2}
    existing.refresh_from_db()
    assert existing.industry == "钢铁" and existing.version == 2 and existing.owner == env.rep
    assert existing.history.count() == 2
    row3 = Customer.objects.get(name="测试003贸易有限公司")
    assert row3.address == "新地址"
    assert set(row3.contacts.values_list("name", flat=True)) == {"联系人3", "第二联系人"}
    assert not Customer.objects.filter(name="测试002贸易有限公司").exists()
    assert Customer.objects.filter(name="测试005贸易有限公司").count() == 1
    other.refresh_from_db()
    assert other.version == 1


def test_update_refused_outside_the_change_scope(env, login, make_customer):
    make_customer("测试001贸易有限公司", owner=env.rep_west, unit=env.west)
    importer = env.rep  # scope self: may not change rep_west's customer
    importer_role = importer.positions.first().role
    importer_role.permissions = [*importer_role.permissions, "customers.import_customer"]
    importer_role.save()
    client = login(importer)
    job = start(client, xlsx_bytes([good_row(1), good_row(9)]))
    job, _ = check(client, job)
    dup = job.preview["duplicates"][0]
    assert dup["can_update"] is False
    assert set(dup["hits"][0]) == {"id", "name", "owner", "blacklisted", "reasons", "flags"}  # nothing else of an out-of-scope record
    job = commit(client, job, **{"2": "update"})
    assert job.status == ImportStatus.DONE
    assert job.counts["updated"] == 0 and job.counts["skipped"] == 1 and job.counts["created"] == 1
    assert Customer.objects.get(name="测试009贸易有限公司").owner == env.rep


def test_database_changed_since_preview_refuses_commit(env, login, make_customer):
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1), good_row(2)]))
    job, _ = check(client, job)
    assert job.counts["duplicates"] == 0
    make_customer("测试002贸易有限公司")
    before = Customer.objects.count()
    job = commit(client, job)
    assert job.status == ImportStatus.READY and "changed since the preview" in job.message
    assert Customer.objects.count() == before
    assert job.counts["duplicates"] == 1


def test_owner_and_region_columns(env, login):
    from guanxi.accounts.models import Region

    Region.objects.create(name="华东", code="east-cn", kind="area")
    client = login(env.importer)
    rows = [good_row(1, 负责人="张东", 地区="华东"), good_row(2, 负责人="无此人"), good_row(3, 地区="火星")]
    job = start(client, xlsx_bytes(rows))
    job, _ = check(client, job)
    errors = {e["row"]: " ".join(e["messages"]) for e in job.preview["errors"]}
    assert set(errors) == {3, 4}
    assert "not an active user" in errors[3] and "does not exist" in errors[4]


def test_rep_may_only_import_for_themself(env, login):
    role = env.rep.positions.first().role
    role.permissions = [*role.permissions, "customers.import_customer"]
    role.save()
    client = login(env.rep)
    job = start(client, xlsx_bytes([good_row(1, 负责人="李西"), good_row(2, 负责人="张东")]))
    job, _ = check(client, job)
    errors = {e["row"]: " ".join(e["messages"]) for e in job.preview["errors"]}
    assert set(errors) == {2} and "outside your data scope" in errors[2]


def test_mapping_without_name_refused(env, login):
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1)]))
    mapping = {k: v for k, v in job.mapping.items() if v != "name"}
    job, response = check(client, job, mapping)
    assert response.status_code == 400
    assert "customer name" in response.content.decode()
    mapping = {**job.mapping, "3": "name"}
    job, response = check(client, job, mapping)
    assert response.status_code == 400  # name from two columns


def test_other_users_job_is_not_found(env, login, make_user):
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1)]))
    other = make_user(permissions=["customers.import_customer", "customers.add_customer"], scope="all")
    other_client = login(other)
    for name in ("customers:import_detail", "customers:import_report", "customers:import_progress"):
        assert other_client.get(reverse(name, args=[job.pk])).status_code == 404
    assert other_client.post(reverse("customers:import_commit", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ" + b"\0" * 5000, "customers.xlsx", "program"),
        (b"PK\x03\x04" + b"\0" * (30 * 1024 * 1024), "big.xlsx", "at most 20 MB"),
    ],
)
def test_bad_files_refused_on_upload(env, login, data, name, message):
    client = login(env.importer)
    response = upload(client, data, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_formula_full_width_merged_header_and_empty_rows_through_the_pages(env, login):
    from .conftest import with_cached_values

    rows = [
        ["客户名称", "电话", "联系人", None],
        [None, None, "姓名", "手机"],
        ['="华新"&"钢铁"', "０２１-６２３４５６７８", "王五", "１３９１２３４５６７８"],
        [None, None, None, None],
        ["长江建材有限公司", "021-62345679", "赵六", "13912345679"],
    ]
    data = xlsx_bytes(rows, headers=None, title="客户导入", merges=("A1:D1", "A2:A3", "B2:B3", "C2:D2"))
    data = with_cached_values(data, {"A4": "华新钢铁"})
    client = login(env.importer)
    job = start(client, data)
    assert job.mapping == {"0": "name", "1": "phone", "2": "contact_name", "3": "contact_mobile"}
    job, _ = check(client, job)
    assert job.counts["rows"] == 2 and job.counts["errors"] == 0, job.preview
    job = commit(client, job)
    assert job.status == ImportStatus.DONE
    c = Customer.objects.get(name="华新钢铁")
    assert c.phone_key == "02162345678"
    assert c.contacts.get().mobile == "13912345678"


def test_csv_in_gb18030(env, login):
    text = f"客户名称,统一社会信用代码,手机,联系人\n华新钢铁有限公司,{credit_code(7)},13912345678,王五\n"
    client = login(env.importer)
    job = start(client, text.encode("gb18030"), "客户.csv")
    assert job.file_kind == "csv"
    job, _ = check(client, job)
    job = commit(client, job)
    assert job.status == ImportStatus.DONE
    assert Customer.objects.get(credit_code=credit_code(7)).name == "华新钢铁有限公司"


def test_large_file_runs_as_a_task_with_progress(env, login, settings, monkeypatch):
    monkeypatch.setattr(imports, "LARGE_IMPORT_ROWS", 3)
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(n) for n in range(1, 6)]))
    assert imports.is_large(job)
    calls = []
    from guanxi.customers import tasks_imports

    real = tasks_imports.analyse_import.delay

    def delay(job_id):
        calls.append(job_id)
        return real(job_id)

    monkeypatch.setattr(tasks_imports.analyse_import, "delay", delay)
    job, _ = check(client, job)
    assert calls == [job.pk]
    assert job.status == ImportStatus.READY
    progress = client.get(reverse("customers:import_progress", args=[job.pk]))
    assert progress.status_code == 204 and progress["HX-Redirect"] == job.get_absolute_url()
    job = commit(client, job)
    assert job.status == ImportStatus.DONE and job.counts["created"] == 5
    rows = AuditEvent.objects.filter(event_type="customers.imported").values_list("source", flat=True)
    assert list(rows) == ["task"]


def test_progress_fragment_while_running(env, login):
    client = login(env.importer)
    job = start(client, xlsx_bytes([good_row(1)]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.ANALYSING)
    imports.set_progress(job, 42)
    response = client.get(reverse("customers:import_progress", args=[job.pk]))
    assert response.status_code == 200 and b"42%" in response.content and b"hx-trigger" in response.content


def test_bench_import_helper(db):
    result = imports.bench_import(300)
    assert result["status"] == "done", result
    assert result["counts"]["created"] == 300
    assert result["rows_per_s"] > 0


def test_template_download(env, login):
    response = login(env.importer).get(reverse("customers:import_template"))
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    header = next(wb.active.iter_rows(values_only=True))
    assert header[0] == "客户名称" and "联系人手机" in header and HEADERS[1] in header
