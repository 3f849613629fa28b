"""Fixtures of the import/export tests: real xlsx files made with openpyxl in the test.

- `env`: company ─┬─ east, └─ west; `importer` (archivist-like: scope all, may import, add,
  change, view, export, see personal data), `rep` (scope self in east, may view/export, no
  personal data), `rep_west` (self, west), `viewer` (view only).
- `xlsx_bytes(rows, headers=HEADERS, *, merges=(), title=None, cached={})` builds a workbook;
  `cached` gives formula cells their saved value (openpyxl writes none).
- `credit_code(n)`: a valid unified social credit code, distinct per n.
- `upload(client, data, name)`: posts a file to customers:import and returns the response.
"""

from __future__ import annotations

import io
import re
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.customers import normalize
from guanxi.customers.models import Contact, Customer
from guanxi.customers.validators import credit_code_check_char
from tests.support import org

HEADERS = ["客户名称", "统一社会信用代码", "客户类别", "行业", "地区", "地址", "电话", "联系人", "手机", "邮箱", "来源", "状态", "负责人"]
CUSTOMER = ["view", "add", "change", "delete", "export"]


def credit_code(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + credit_code_check_char(body)


def xlsx_bytes(rows, headers=HEADERS, *, merges=(), title=None, cached=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户"
    if title:
        ws.append([title])
    if headers is not None:
        ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    if cached:
        data = with_cached_values(data, cached)
    return data


def with_cached_values(data: bytes, cached: dict[str, object]) -> bytes:
    """Gives formula cells a saved value, as Excel would (openpyxl never computes one)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = body.decode()
                for ref, value in cached.items():
                    kind = ' t="str"' if isinstance(value, str) else ""
                    xml, n = re.subn(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>', rf'<c r="{ref}"\1{kind}><f>\2</f><v>{value}</v>', xml)
                    assert n == 1, f"no formula cell {ref}"
                body = xml.encode()
            dst.writestr(info, body)
    return out.getvalue()


def set_keys(customer: Customer) -> None:
    customer.name_key = normalize.name_key(customer.name)
    customer.pinyin, customer.initials = normalize.pinyin_keys(customer.name)
    customer.phone_key = normalize.phone_key(customer.phone)


@pytest.fixture
def env(db):
    company = org.make_unit("Imp Company", kind="company")
    east = org.make_unit("Imp East", company)
    west = org.make_unit("Imp West", company)
    cust = [f"customers.{a}_customer" for a in CUSTOMER]
    importer = org.make_user(
        "imp_archivist",
        company,
        scope="all",
        permissions=[*cust, "customers.import_customer", "customers.view_personal_contact"],
        full_name="赵文员",
        language="en",  # messages are asserted in English
    )
    rep = org.make_user("imp_rep", east, scope="self", permissions=cust, full_name="张东", language="en")
    rep_west = org.make_user("imp_rep", west, full_name="李西", language="en")
    viewer = org.make_user("imp_viewer", company, scope="all", permissions=["customers.view_customer"], full_name="钱看", language="en")
    return SimpleNamespace(company=company, east=east, west=west, importer=importer, rep=rep, rep_west=rep_west, viewer=viewer)


@pytest.fixture
def make_customer(env):
    def _make(name, *, owner=None, unit=None, contacts=(), **fields):
        owner = owner or env.rep
        customer = Customer(name=name, owner=owner, unit=unit or env.east, **fields)
        set_keys(customer)
        customer.save()
        for c in contacts:
            Contact.objects.create(customer=customer, **c)
        return customer

    return _make


def upload(client, data: bytes, name: str = "customers.xlsx"):
    return client.post(reverse("customers:import"), {"file": SimpleUploadedFile(name, data)})


def good_row(n: int, **over) -> list:
    row = {
        "客户名称": f"测试{n:03d}贸易有限公司",
        "统一社会信用代码": credit_code(n),
        "客户类别": "经销商",
        "行业": "商贸",
        "地区": "",
        "地址": f"上海市某路{n}号",
        "电话": f"021-6{n:07d}",
        "联系人": f"联系人{n}",
        "手机": f"139{n:08d}",
        "邮箱": f"c{n}@example.com",
        "来源": "展会",
        "状态": "潜在",
        "负责人": "",
    }
    row.update(over)
    return [row[h] for h in HEADERS]
