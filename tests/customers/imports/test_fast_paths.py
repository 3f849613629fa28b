"""The import's fast paths give exactly what the general code gives (issue 3 performance):
pinyin keys, phone / credit code / e-mail parsing, the header-only read of an upload, and the
bulk insert with field history (PostgreSQL: streamed COPY; SQLite: bulk_create fallback)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from guanxi.customers import imports, normalize, validators, xlsx
from guanxi.customers.models import Contact, Customer

from .conftest import credit_code, xlsx_bytes

NAMES = [
    "华新钢铁集团有限公司",
    "重庆银行股份有限公司",
    "３Ｍ中国有限公司",
    "ABC Trading Co., Ltd.",
    "北京〇一二科技有限公司",
    "上海华新钢铁000123有限公司",
    "长江实业（集团）有限责任公司",
    "株式会社トヨタ",
    "Café Müller GmbH",
    "乐山乐器行",
    "𠀀𪚥科技有限公司",
    "  上海\u3000空格 公司 ",
    "有限公司",
    "a有限公司",
    "123",
    "",
]


@pytest.mark.parametrize("name", NAMES)
def test_pinyin_keys_match_normalize(name):
    assert imports.pinyin_keys(name) == normalize.pinyin_keys(name)


def _outcome(fn, text):
    try:
        return "ok", fn(text)
    except imports.RowError as exc:
        return "error", str(exc)
    except ValidationError as exc:
        return "error", " ".join(str(m) for m in exc.messages)


PHONES = [
    "021-12345678",
    "(010)62345678",
    "0755 23456789",
    "400-820-8820",
    "+86 21 6234 5678",
    "0086-21-62345678",
    "021-62345678转801",
    "021-62345678-123",
    "１３８12345678",
    "13812345678",
    "+86 186 1234 5678",
    "62345678",
    "12345",
    "+1 415 555 1234",
    "021-1234",
    "phone",
]


@pytest.mark.parametrize("text", PHONES)
def test_phone_values_match_the_validators(text):
    assert _outcome(lambda t: imports._phone_value(t, mobile=False), text) == _outcome(validators.normalize_phone, text)
    assert _outcome(lambda t: imports._phone_value(t, mobile=True), text) == _outcome(validators.normalize_mobile, text)
    assert imports.fast_phone_key(text) == normalize.phone_key(text)


@pytest.mark.parametrize(
    "text",
    [
        credit_code(1),
        credit_code(2).lower(),
        credit_code(3)[:6] + " - " + credit_code(3)[6:],
        credit_code(4)[:-1] + "0",
        "9131ABC",
        "x" * 18,
    ],
)
def test_credit_codes_match_the_validator(text):
    assert _outcome(imports._credit_code_value, text) == _outcome(validators.validate_credit_code, text)


@pytest.mark.parametrize(
    "text",
    ["a@example.com", "First.Last+1@Sub.Example.CN", "x_1@mail.qq.com", "a@b.c", "a..b@c.com", "a@-b.com", "用户@例子.中国", "a@localhost"],
)
def test_plain_email_test_only_accepts_what_django_accepts(text):
    plain = imports._PLAIN_EMAIL.fullmatch(text) is not None
    try:
        imports._EMAIL(text)
        valid = True
    except ValidationError:
        valid = False
    assert not plain or valid
    if valid:
        assert imports._parse_value(imports.FIELDS_BY_KEY["email"], text, None) == text


def test_cell_text_full_width_only_when_present():
    assert xlsx.cell_text("ＡＢＣ１２３") == "ABC123"
    assert xlsx.cell_text("\u3000华新（集团）\u3000") == "华新（集团）"
    assert xlsx.cell_text("a\r\nb ") == "a\nb"
    assert xlsx.cell_text("   ") == ""


def _grid_workbook(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "rows",
    [
        [["客户名称", "电话", None], ["华新", "021-62345678", None], [None, None, None], ["东方", None, None]],
        [["客户名称", "电话", None, None], ["华新", None, None, "x"], ["  ", "\u3000", None, None]],
        [["客户名称", "电话"], ["\u3000", " "], ["华新", 5], [None, 2.5]],
        [["客户名称", None, "备注", None, None], ["a", None, None, None, dt.date(2024, 1, 2)], ["b", None, None, 0, None]],
    ],
)
def test_header_only_read_gives_the_same_headers_and_count(rows):
    data = _grid_workbook(rows)

    def matcher(t):
        return imports.match_header(t) is not None

    full = xlsx.read_table(io.BytesIO(data), "f.xlsx", header_matcher=matcher)
    light = xlsx.read_table(io.BytesIO(data), "f.xlsx", header_matcher=matcher, keep_rows=False)
    assert light.headers == full.headers
    assert light.row_count == full.row_count == len(full.rows)
    assert light.rows == []


def test_header_only_read_of_csv():
    data = "客户名称,电话,,\n华新,021-62345678,,\n,,,\n东方,,,z\n".encode()
    full = xlsx.read_table(io.BytesIO(data), "f.csv")
    light = xlsx.read_table(io.BytesIO(data), "f.csv", keep_rows=False)
    assert (light.headers, light.row_count) == (full.headers, len(full.rows)) == (["客户名称", "电话", "", ""], 2)


def test_upload_counts_rows_without_keeping_them(env):
    data = xlsx_bytes([["华新钢铁有限公司"], [None], ["东方商贸有限公司"]], headers=["客户名称"])
    job = imports.start_import(actor=env.importer, upload=SimpleUploadedFile("a.xlsx", data))
    assert job.counts == {"rows": 2} and job.headers == ["客户名称"]


def _customers(env, n):
    for i in range(n):
        values = {"name": f"流式{i}有限公司", "owner_id": env.importer.pk, "unit_id": env.company.pk, "created_by_id": env.importer.pk}
        c = imports.new_instance(Customer, values)
        imports._search_keys(c)
        yield c


def test_insert_with_history_streams_objects_with_history(env, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 3)
    now = timezone.now()
    seen = []
    history = imports._history_attrs()
    with transaction.atomic():
        created = imports.insert_with_history(
            Customer, _customers(env, 7), actor=env.importer, now=now, history=history, count=7, progress=seen.append
        )
    assert len(created) == 7 and all(c.pk for c in created)
    assert seen == [3, 6, 7]
    stored = {c.pk: c for c in Customer.objects.filter(pk__in=[c.pk for c in created])}
    for c in created:
        s = stored[c.pk]
        assert (s.name, s.name_key, s.pinyin, s.initials, s.trade_key) == (c.name, c.name_key, c.pinyin, c.initials, c.trade_key)
        assert s.missing_fields == c.missing_fields and s.custom_data == {}
        assert s.updated_at == now or connection.vendor != "postgresql"  # bulk_create stamps its own time
    hist = Customer.history.filter(id__in=[c.pk for c in created])
    assert hist.count() == 7
    assert set(hist.values_list("history_type", flat=True)) == {"+"}
    assert set(hist.values_list("history_user_id", flat=True)) == {env.importer.pk}
    assert sorted(hist.values_list("name", flat=True)) == sorted(c.name for c in created)
    contacts = [
        imports.new_instance(Contact, {"name": f"人{i}", "customer_id": created[i].pk, "mobile": f"1391234567{i}"}) for i in range(3)
    ]
    with transaction.atomic():
        imports.insert_with_history(Contact, contacts, actor=env.importer, now=now, history=history)
    assert Contact.objects.filter(customer__in=created).count() == 3
    assert Contact.history.filter(customer_id__in=[c.pk for c in created], history_type="+").count() == 3


def test_insert_with_history_of_nothing(env):
    assert imports.insert_with_history(Customer, [], actor=env.importer, now=timezone.now(), history=imports._history_attrs()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY stream is PostgreSQL only")
def test_a_query_while_the_copy_streams_fails_instead_of_hanging(env):
    def objs():
        yield from _customers(env, 1)
        Customer.objects.count()  # the connection is busy with the COPY
        yield from _customers(env, 1)

    with pytest.raises(RuntimeError, match="COPY"), transaction.atomic():
        imports.insert_with_history(Customer, objs(), actor=env.importer, now=timezone.now(), history={}, count=2)


def test_key_lookups_with_the_separator_in_a_key(env, make_customer):
    make_customer("华新钢铁有限公司")
    key = normalize.name_key("华新钢铁有限公司")
    found = list(imports._lookup_customers("name_key", {key, "bad\x1fkey", "other"}))
    assert [k for _pk, k in found] == [key]
    found = list(imports._lookup_customers("name_key", {key, "other"}))
    assert [k for _pk, k in found] == [key]
