"""Admission pages: start from the customer, fill in items, upload, submit, the panel on the
customer page, the list filters and the export."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.admission import services
from guanxi.admission.models import Admission, AdmissionDocument, AdmissionStatus
from guanxi.approvals import services as approvals
from tests.support import org

from .conftest import PDF_BYTES, make_customer, pdf
from .test_api import zh
from .test_services import fill

pytestmark = pytest.mark.django_db


def page_text(msgid):
    """A message as the page shows it (zh-Hans by default, once translated)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_start_from_the_customer_page(adm, login):
    client = login(adm.rep)
    page = client.get(reverse("customers:detail", args=[adm.customer.pk]))
    assert page.status_code == 200
    assert reverse("admission:start", args=[adm.customer.pk]).encode() in page.content
    form = client.get(reverse("admission:start", args=[adm.customer.pk]))
    assert form.status_code == 200 and "grading.admission_checklist_by_category.distributor" in form.content.decode()
    response = client.post(reverse("admission:start", args=[adm.customer.pk]), {"customer_kind": "regular"})
    admission = Admission.objects.get(customer=adm.customer)
    assert response.status_code == 302 and response["Location"] == admission.get_absolute_url()
    page = client.get(reverse("customers:detail", args=[adm.customer.pk]))
    assert admission.get_absolute_url().encode() in page.content and b"admission-panel" in page.content


def test_start_exempt_needs_a_reason(adm, login):
    client = login(adm.rep)
    response = client.post(reverse("admission:start", args=[adm.customer.pk]), {"customer_kind": "retail", "exemption_reason": ""})
    assert response.status_code == 400 and not Admission.objects.exists()
    response = client.post(reverse("admission:start", args=[adm.customer.pk]), {"customer_kind": "retail", "exemption_reason": "零售门店"})
    assert Admission.objects.get().status == AdmissionStatus.EXEMPT


def test_start_for_a_customer_out_of_scope_is_404(adm, login):
    other_rep = org.make_user("sales_rep", adm.units.east, username=org.unique("rep2"))
    assert login(other_rep).get(reverse("admission:start", args=[adm.customer.pk])).status_code == 404
    assert login(other_rep).post(reverse("admission:start", args=[adm.customer.pk]), {"customer_kind": "regular"}).status_code == 404
    assert not Admission.objects.exists()


def test_fill_in_upload_and_submit_on_the_page(adm, login):
    admission = services.start(adm.customer, actor=adm.rep)
    client = login(adm.rep)
    detail = reverse("admission:detail", args=[admission.pk])
    assert client.get(detail).status_code == 200

    # Submitting with items missing: refused, the message lists them.
    response = client.post(reverse("admission:submit", args=[admission.pk]), follow=True)
    text = " ".join(messages_of(response))
    assert zh("business_licence") in text and zh("qualifications") in text
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.DRAFT

    # One item through the page: confirm with dates, then a file.
    url = reverse("admission:item", args=[admission.pk, "business_licence"])
    response = client.post(
        url,
        {"business_licence-confirmed": "on", "business_licence-document_no": "91310000X", "business_licence-expires_on": "2031-01-01"},
    )
    assert response.status_code == 302
    item = admission.items.get(code="business_licence")
    assert item.confirmed and item.expires_on == dt.date(2031, 1, 1) and item.confirmed_by == adm.rep
    upload = reverse("admission:upload", args=[admission.pk, "business_licence"])
    assert client.post(upload, {"business_licence-upload-file": pdf()}).status_code == 302
    doc = AdmissionDocument.objects.get(item=item)
    got = client.get(reverse("admission:document", args=[admission.pk, doc.pk]))
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF_BYTES
    assert got["Content-Type"] == "application/pdf"

    # A bad date order is refused with a message, nothing saved.
    response = client.post(
        url,
        {"business_licence-confirmed": "on", "business_licence-issued_on": "2030-01-01", "business_licence-expires_on": "2029-01-01"},
        follow=True,
    )
    assert page_text("The expiry date is before the issue date.") in messages_of(response)
    item.refresh_from_db()
    assert item.expires_on == dt.date(2031, 1, 1)

    fill(admission, adm.rep)
    response = client.post(reverse("admission:submit", args=[admission.pk]))
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.SUBMITTED


def test_bad_upload_on_the_page_is_refused(adm, login):
    admission = services.start(adm.customer, actor=adm.rep)
    client = login(adm.rep)
    upload = reverse("admission:upload", args=[admission.pk, "business_licence"])
    bad = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    response = client.post(upload, {"business_licence-upload-file": bad}, follow=True)
    assert response.status_code == 200
    assert page_text("This file is a program, not a document. Upload a PDF or an image.") in messages_of(response)
    assert not AdmissionDocument.objects.exists()


def test_documents_and_actions_are_scoped(adm, login):
    admission = services.start(adm.customer, actor=adm.rep)
    doc = services.add_document(admission.items.get(code="business_licence"), actor=adm.rep, upload=pdf())
    other_rep = org.make_user("sales_rep", adm.units.east, username=org.unique("rep2"))
    client = login(other_rep)
    assert client.get(reverse("admission:document", args=[admission.pk, doc.pk])).status_code == 404
    assert client.post(reverse("admission:submit", args=[admission.pk])).status_code == 404
    assert (
        client.post(
            reverse("admission:upload", args=[admission.pk, "business_licence"]), {"business_licence-upload-file": pdf()}
        ).status_code
        == 404
    )
    assert client.post(reverse("admission:document_delete", args=[admission.pk, doc.pk])).status_code == 404
    assert AdmissionDocument.objects.count() == 1
    # The manager of the unit tree sees it.
    assert login(adm.dm).get(reverse("admission:document", args=[admission.pk, doc.pk])).status_code == 200


def test_expired_item_shows_on_the_customer(adm, login):
    admission = services.start(adm.customer, actor=adm.rep)
    fill(admission, adm.rep)
    admission = services.submit(admission, actor=adm.rep)
    approvals.approve(admission.approval_request_id, adm.dm)
    item = admission.items.get(code="qualifications")
    item.expires_on = dt.date.today() - dt.timedelta(days=2)
    item.save()
    services.check_expiry()
    page = login(adm.rep).get(reverse("customers:detail", args=[adm.customer.pk]))
    text = page.content.decode()
    assert "admission-expired-banner" in text


def test_list_filters_and_export(adm, login):
    today = dt.date.today()
    draft = services.start(adm.customer, actor=adm.rep)
    services.update_item(draft.items.get(code="business_licence"), actor=adm.rep, confirmed=True, expires_on=today + dt.timedelta(days=10))
    exempt = services.start(make_customer(adm.rep, adm.units.east), actor=adm.rep, kind="retail", reason="零售")
    client = login(adm.dm)
    url = reverse("admission:list")

    def shown(query):
        body = client.get(url, query).content.decode()
        return {a.pk for a in (draft, exempt) if f'"{a.get_absolute_url()}"' in body}

    assert shown({}) == {draft.pk, exempt.pk}
    assert shown({"status": "open"}) == {draft.pk}
    assert shown({"status": "exempt"}) == {exempt.pk}
    assert shown({"expiring_within": "30"}) == {draft.pk}
    assert shown({"expiring_within": "5"}) == set()
    assert shown({"customer_kind": "retail"}) == {exempt.pk}
    assert client.get(url, {"expiring_within": "abc"}).status_code == 200

    response = client.get(reverse("admission:export"), {"status": "open"})
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    cells = [c for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
    assert draft.customer.name in cells and exempt.customer.name not in cells
    # Sales reps hold no export permission.
    assert login(adm.rep).get(reverse("admission:export")).status_code == 403


def test_menu_entry(adm, login):
    page = login(adm.rep).get(reverse("dashboard"))
    assert reverse("admission:list").encode() in page.content
