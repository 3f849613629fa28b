"""Policy pages: reading, editing with inline errors, history, export and import."""

from __future__ import annotations

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.policy import services
from guanxi.policy.models import PolicyVersion, VersionStatus

pytestmark = pytest.mark.django_db


def test_policy_page_shows_every_clause_with_key_value_and_source(people, login):
    response = login(people.viewer).get(reverse("policy:detail"))
    assert response.status_code == 200
    html = response.content.decode()
    for key in ("pool.reclaim_after_days", "deadlines.filing_working_days", "kpi.penalties.churned_customer_yuan", "grading.schemes"):
        assert f'id="clause-{key}"' in html
    # Sources named by the documents' titles, never by the seed numbers they were taken from.
    assert "《市场部客户资源管理制度》§客户资源的调配 3" in html
    assert "Guanxi 默认规则（F-POOL-3）" in html
    assert "seed 00" not in html and "SPEC F-" not in html
    assert "无销售动作收回天数" in html  # Chinese label by default
    assert "30000.00" in html and "1100.00" in html
    assert "Edit" not in html or reverse("policy:edit") not in html  # a viewer gets no edit button


def test_policy_page_in_english(people, login):
    people.viewer.language = "en"
    people.viewer.save()
    html = login(people.viewer).get(reverse("policy:detail")).content.decode()
    assert "Reclaim after days without sales activity" in html
    assert "Guanxi default (F-POOL-3)" in html and "《客户管理制度》" in html


def test_permissions(people, login, client):
    assert client.get(reverse("policy:detail")).status_code == 302
    outsider = login(people.outsider)
    for name in ("policy:detail", "policy:history", "policy:export", "policy:edit", "policy:import"):
        assert outsider.get(reverse(name)).status_code == 403, name
    viewer = login(people.viewer)
    assert viewer.get(reverse("policy:history")).status_code == 200
    assert viewer.get(reverse("policy:edit")).status_code == 403
    assert viewer.get(reverse("policy:import")).status_code == 403
    admin = login(people.admin)
    assert admin.get(reverse("policy:edit")).status_code == 200
    assert admin.get(reverse("policy:edit") + "?section=kpi").status_code == 200
    assert admin.get(reverse("policy:edit") + "?section=nope").status_code == 404


def _section_post(client, section: str, **changes):
    """Submits the edit form of a section as shown, with some fields changed."""
    page = client.get(reverse("policy:edit") + f"?section={section}")
    form = page.context["form"]
    data = {"section": section}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("policy:edit") + f"?section={section}", data)


def test_edit_shows_pydantic_errors_inline_and_keeps_the_input(people, login):
    people.admin.language = "en"
    people.admin.save()
    client = login(people.admin)
    response = _section_post(client, "pool", pool__reclaim_after_days="-5", pool__warning_days_before="soon", pool__claims_per_day="3")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-clause="pool.reclaim_after_days"' in html
    assert 'data-clause="pool.warning_days_before"' in html
    assert 'value="-5"' in html and 'value="soon"' in html and 'value="3"' in html
    form = response.context["form"]
    assert form.errors["pool__reclaim_after_days"] == ["Must not be negative."]
    assert form.errors["pool__warning_days_before"] == ["Enter a whole number."]
    assert PolicyVersion.objects.count() == 1


def test_edit_structured_clause_errors(people, login):
    people.admin.language = "en"  # the messages are asserted in English
    people.admin.save(update_fields=["language"])
    client = login(people.admin)
    page = client.get(reverse("policy:edit") + "?section=grading")
    schemes = yaml.safe_load(page.context["form"].initial["grading__schemes"])
    schemes[1]["levels"][0]["quota_percent"] = 120
    response = _section_post(client, "grading", grading__schemes=yaml.safe_dump(schemes, allow_unicode=True))
    assert response.status_code == 400
    assert any("between 0 and 100" in e for e in response.context["form"].errors["grading__schemes"])
    response = _section_post(client, "grading", grading__schemes="levels: [unclosed")
    assert "not valid YAML" in response.context["form"].errors["grading__schemes"][0]
    assert PolicyVersion.objects.count() == 1


def test_edit_proposes_a_version_and_shows_its_diff(people, login):
    client = login(people.admin)
    response = _section_post(client, "deadlines", deadlines__filing_working_days="4", comment="Faster filing")
    version = PolicyVersion.objects.get(number=2)
    assert response.status_code == 302 and response["Location"] == reverse("policy:version", args=[2])
    assert version.status == VersionStatus.PENDING
    assert version.diff == [{"key": "deadlines.filing_working_days", "old": 5, "new": 4}]
    page = client.get(response["Location"]).content.decode()
    assert "deadlines.filing_working_days" in page and "Faster filing" in page
    # The policy page announces the pending change and links to its approval.
    detail = client.get(reverse("policy:detail")).content.decode()
    assert 'id="policy-pending"' in detail
    assert reverse("approvals:detail", args=[version.approval_request_id]) in detail
    history = client.get(reverse("policy:history")).content.decode()
    assert 'id="version-2"' in history and 'id="version-1"' in history


def test_unchanged_form_says_nothing_changes(people, login):
    response = _section_post(login(people.admin), "security")
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert PolicyVersion.objects.count() == 1


def test_export_and_import(people, login):
    client = login(people.admin)
    response = client.get(reverse("policy:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    text = response.content.decode()
    data = yaml.safe_load(text)
    assert data["pool"]["reclaim_after_days"] == 60

    data["pool"]["reclaim_after_days"] = -1
    data["grading"]["schemes"][1]["levels"][0]["quota_percent"] = 150
    data["pool"]["mystery"] = 1
    bad = SimpleUploadedFile("policy.yaml", yaml.safe_dump(data, allow_unicode=True).encode(), content_type="application/yaml")
    response = client.post(reverse("policy:import"), {"file": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="import-errors"' in html
    for key in ("pool.reclaim_after_days", "grading.schemes", "pool.mystery"):
        assert f"<code>{key}</code>" in html
    assert PolicyVersion.objects.count() == 1

    data = yaml.safe_load(text)
    data["complaints"]["first_response_hours"] = 12
    response = client.post(reverse("policy:import"), {"text": yaml.safe_dump(data, allow_unicode=True), "comment": "Faster answers"})
    assert response.status_code == 302
    version = PolicyVersion.objects.get(number=2)
    assert version.diff == [{"key": "complaints.first_response_hours", "old": 24, "new": 12}]
    assert version.comment == "Faster answers"


def test_approval_page_shows_the_policy_diff(people, login):
    version = services.propose_change(people.admin, {"pool": {"reclaim_after_days": 30}})
    html = login(people.gm).get(reverse("approvals:detail", args=[version.approval_request_id])).content.decode()
    assert "pool.reclaim_after_days" in html
