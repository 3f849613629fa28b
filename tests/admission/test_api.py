"""Admission API: create, item update, upload, submit; the OpenAPI schema."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.test import APIClient

from guanxi.admission.models import Admission, AdmissionStatus

from .conftest import pdf

pytestmark = pytest.mark.django_db

BASE = "/api/admissions/"


def zh(code):
    """An item's label as pages and the API show it (zh-Hans by default)."""
    from django.utils import translation

    from guanxi.admission import rules

    with translation.override("zh-hans"):
        return rules.label(code)


def api(user):
    client = APIClient()
    client.force_login(user, backend="guanxi.accounts.backends.PositionBackend")
    return client


def test_admission_through_the_api(adm):
    client = api(adm.rep)
    response = client.post(BASE, {"customer": adm.customer.pk}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["status"] == "draft"
    assert len(response.json()["items"]) == 6
    assert client.post(BASE, {"customer": adm.customer.pk}, format="json").status_code == 409

    refused = client.post(f"{BASE}{pk}/submit/")
    assert refused.status_code == 400 and zh("business_licence") in refused.json()["detail"]

    for code in ("business_licence", "tax_registration", "good_credit", "signed_contract", "no_illegal_record", "qualifications"):
        r = client.patch(f"{BASE}{pk}/items/{code}/", {"confirmed": True, "expires_on": "2035-06-30"}, format="json")
        assert r.status_code == 200, r.content
        if code in ("business_licence", "tax_registration", "signed_contract", "qualifications"):
            r = client.post(f"{BASE}{pk}/items/{code}/documents/", {"file": pdf()}, format="multipart")
            assert r.status_code == 201, r.content
    bad = client.post(
        f"{BASE}{pk}/items/qualifications/documents/",
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "file"
    assert client.patch(f"{BASE}{pk}/items/unknown_item/", {"confirmed": True}, format="json").status_code == 404

    response = client.post(f"{BASE}{pk}/submit/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted" and response.json()["approval_request"]
    assert Admission.objects.get(pk=pk).status == AdmissionStatus.SUBMITTED


def test_exempt_through_the_api(adm):
    response = api(adm.rep).post(BASE, {"customer": adm.customer.pk, "customer_kind": "related_party"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "exemption_reason"
    response = api(adm.rep).post(
        BASE, {"customer": adm.customer.pk, "customer_kind": "related_party", "exemption_reason": "集团内部"}, format="json"
    )
    assert response.status_code == 201 and response.json()["status"] == "exempt"


def test_schema_has_no_warnings_for_admissions_and_notifications():
    err = io.StringIO()
    call_command("spectacular", "--validate", stdout=io.StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if "admission" in line.lower() or "notification" in line.lower()]
    assert not lines, lines
