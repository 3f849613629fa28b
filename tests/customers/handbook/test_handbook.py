"""Customer information handbook 客户信息手册 (F-CUS-9): PDF with embedded Chinese fonts, xlsx
with one sheet per section, masking, permission and scope, audit, and the section registry."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import zlib

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from guanxi.core.models import AuditEvent
from guanxi.customers import handbook
from guanxi.customers.handbook import Table, register_section, unregister_section

pytestmark = pytest.mark.django_db

SECTION_TITLES = ("Basic information", "Customer departments", "Contacts by department", "Owner and team members", "History summary")


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


def pdf_expanded(pdf: bytes) -> bytes:
    """The PDF with its Flate streams (object streams, fonts) inflated, to look for names."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompressobj().decompress(m.group(1)))
    return b"".join(parts)


def embedded_fonts(pdf: bytes) -> list[str]:
    """Names of the fonts embedded in the PDF (pdffonts' "emb" column is "yes")."""
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode().splitlines()[2:]
    return [line.split()[0] for line in out if line.split()[-5] == "yes"]


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def sheet_text(ws) -> str:
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def test_pdf_download_embeds_chinese_fonts_and_has_every_section(people, customer, login):
    response = login(people.manager).get(reverse("customers:handbook_pdf", args=[customer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    expanded = pdf_expanded(pdf)
    assert any(name in expanded for name in (b"NotoSansCJK", b"Noto-Sans-CJK", b"NotoSerifCJK", b"Noto-Serif-CJK"))
    fonts = embedded_fonts(pdf)
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts
    text = pdf_text(pdf)
    assert "客户信息手册" in text
    assert "华新钢铁有限公司" in text
    for title in SECTION_TITLES:
        assert title in text
    for value in ("采购部", "技术部", "年采购量约 3 万吨", "每周二例会", "刘强", "陈工", "赵秘书", "No department", "李会计"):
        assert value in text, value
    assert "13812345678" in text  # the manager may see personal data
    pages = re.findall(r"(\d+)\s*/\s*(\d+)\s*\f", text)  # "n / total" at the foot of each page
    assert pages and pages[-1][0] == pages[-1][1] and int(pages[-1][1]) >= 3, pages


def test_html_rendering_orders_sections_and_groups_contacts(people, customer):
    hb = handbook.build(customer, people.manager)
    assert [s.key for s in hb.sections][:5] == ["basic", "departments", "contacts", "team", "history"]
    contacts = next(s for s in hb.sections if s.key == "contacts")
    assert [str(b.heading) for b in contacts.blocks] == ["技术部", "采购部", "No department"]
    html = handbook.render_html(hb)
    assert "客户信息手册" in html and "华新钢铁有限公司" in html and "size: A4" in html
    assert "Noto Sans CJK SC" in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from the internet


def test_xlsx_download_has_one_sheet_per_section(people, customer, login):
    response = login(people.manager).get(reverse("customers:handbook_xlsx", args=[customer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    wb = workbook(response.content)
    assert wb.sheetnames == list(SECTION_TITLES)
    basic = sheet_text(wb["Basic information"])
    assert "华新钢铁有限公司" in basic and "91420200177570439X" in basic
    departments = sheet_text(wb["Customer departments"])
    assert "采购部" in departments and "每周二例会" in departments and "2019 年起合作" in departments
    contacts = sheet_text(wb["Contacts by department"])
    assert "13812345678" in contacts and "刘强" in contacts
    team = sheet_text(wb["Owner and team members"])
    assert "张三" in team and "李会计" in team
    history = sheet_text(wb["History summary"])
    assert "冶金" in history  # the industry change, before → after
    assert "钢铁" in history


def test_xlsx_is_formula_safe(people, customer, login):
    customer.name = '=HYPERLINK("http://evil","x")'
    customer.save()
    wb = workbook(login(people.manager).get(reverse("customers:handbook_xlsx", args=[customer.pk])).content)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), (ws.title, cell.value)
    assert "'=1+1" in sheet_text(wb["Customer departments"])


def test_mobile_is_masked_without_the_personal_data_right(people, customer, login):
    client = login(people.finance)
    wb = workbook(client.get(reverse("customers:handbook_xlsx", args=[customer.pk])).content)
    contacts = sheet_text(wb["Contacts by department"])
    assert "13812345678" not in contacts and "138****5678" in contacts
    text = pdf_text(client.get(reverse("customers:handbook_pdf", args=[customer.pk])).content)
    assert "13812345678" not in text and "138****5678" in text
    assert "刘强" in text


def test_out_of_scope_is_not_found(people, customer, login):
    client = login(people.rep)
    assert client.get(reverse("customers:handbook_pdf", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:handbook_xlsx", args=[customer.pk])).status_code == 404
    assert client.get(reverse("customers:handbook_xlsx", args=[customer.pk + 1000])).status_code == 404
    assert not AuditEvent.objects.filter(event_type="handbook.downloaded").exists()


def test_without_export_permission_is_forbidden(people, customer, login, client):
    viewer = login(people.noexport)
    assert viewer.get(reverse("customers:handbook_pdf", args=[customer.pk])).status_code == 403
    assert viewer.get(reverse("customers:handbook_xlsx", args=[customer.pk])).status_code == 403
    assert client.get(reverse("customers:handbook_xlsx", args=[customer.pk])).status_code == 302  # signed out → login
    assert login(people.manager).post(reverse("customers:handbook_xlsx", args=[customer.pk])).status_code == 405


def test_download_is_audited(people, customer, login):
    login(people.finance).get(reverse("customers:handbook_xlsx", args=[customer.pk]))
    event = AuditEvent.objects.get(event_type="handbook.downloaded")
    assert event.actor_id == people.finance.pk
    assert event.subject_id == str(customer.pk)
    assert event.data["format"] == "xlsx"
    assert event.data["personal_data"] is False
    assert event.data["sections"][:2] == ["basic", "departments"]


@pytest.fixture
def visits_section():
    def visits(customer, user):
        return Table(["Date", "Subject"], [["2025-04-01", f"回访 {customer.short_name}"]], heading="Visit log")

    register_section("test_visits", "Visit and care records", visits, order=50)
    register_section("test_hidden", "Secret section", lambda c, u: {"text": "hidden"}, order=60, permission="nobody.has_this")
    yield
    unregister_section("test_visits")
    unregister_section("test_hidden")


def test_a_later_app_can_add_a_section(people, customer, login, visits_section):
    client = login(people.manager)
    wb = workbook(client.get(reverse("customers:handbook_xlsx", args=[customer.pk])).content)
    assert wb.sheetnames.index("Visit and care records") == 4  # after team (40), before history (90)
    assert "Secret section" not in wb.sheetnames  # needs a permission the user lacks
    assert "回访 华新钢铁" in sheet_text(wb["Visit and care records"])
    text = pdf_text(client.get(reverse("customers:handbook_pdf", args=[customer.pk])).content)
    assert "Visit and care records" in text and "回访 华新钢铁" in text and "Secret section" not in text


def test_section_results_in_every_accepted_shape():
    norm = handbook._normalise
    assert norm(None) == []
    assert isinstance(norm({"fields": {"A": 1}})[0], handbook.Fields)
    assert isinstance(norm({"columns": ["a"], "rows": [[1]]})[0], handbook.Table)
    assert isinstance(norm({"text": "x", "heading": "h"})[0], handbook.Text)
    assert [type(b) for b in norm({"blocks": [{"text": "x"}, {"fields": [("a", 1)]}]})] == [handbook.Text, handbook.Fields]
    assert norm([("a", 1), ("b", 2)])[0].rows == [("a", 1), ("b", 2)]


def test_a_bare_customer_still_gives_every_section(people, login):
    from guanxi.customers.models import Customer

    bare = Customer.objects.create(name="空白客户", unit=people.east)
    hb = handbook.build(bare, people.manager)
    assert [s.title for s in hb.sections] == list(SECTION_TITLES)
    wb = workbook(handbook.handbook_xlsx(bare, people.manager, hb))
    assert "No contacts recorded." in sheet_text(wb["Contacts by department"])
    assert "No team members." in sheet_text(wb["Owner and team members"])
    assert "No departments recorded." in handbook.render_html(hb)
