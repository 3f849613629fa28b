import pytest
from rest_framework.test import APIClient

from guanxi.approvals import services
from guanxi.approvals.models import ApprovalRequest, RequestStatus

from .conftest import ACTION, flow, step

pytestmark = pytest.mark.django_db
URL = "/api/approvals/requests/"


@pytest.fixture
def req(org, policy, action, target):
    policy(flow(step(role="department_manager")))
    return services.submit(ACTION, target=target, requester=org.rep, payload={"what": "x"})


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_boxes_and_detail(org, req):
    dm = api(org.dm)
    waiting = dm.get(URL, {"box": "waiting"}).json()
    assert [r["id"] for r in waiting["results"]] == [req.pk]
    assert api(org.rep).get(URL, {"box": "waiting"}).json()["results"] == []
    assert [r["id"] for r in api(org.rep).get(URL, {"box": "mine", "status": "pending"}).json()["results"]] == [req.pk]
    detail = dm.get(f"{URL}{req.pk}/").json()
    assert detail["clause"] == "approvals.flows.test.change"
    assert detail["payload"] == {"what": "x"}
    assert detail["steps"][0]["assignments"][0]["approver"] == org.dm.pk


def test_out_of_scope_is_404(org, req):
    assert api(org.outsider).get(f"{URL}{req.pk}/").status_code == 404
    assert api(org.outsider).post(f"{URL}{req.pk}/approve/", {}).status_code == 404


def test_reject_requires_comment_then_approve_is_conflict(org, req, action):
    dm = api(org.dm)
    resp = dm.post(f"{URL}{req.pk}/reject/", {"comment": ""}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "comment"
    resp = dm.post(f"{URL}{req.pk}/reject/", {"comment": "No."}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    assert dm.post(f"{URL}{req.pk}/approve/", {}, format="json").status_code == 409
    assert action.apply == []


def test_approve_and_not_entitled(org, req, action):
    assert api(org.rep).post(f"{URL}{req.pk}/approve/", {}, format="json").status_code == 403
    resp = api(org.dm).post(f"{URL}{req.pk}/approve/", {"comment": "ok"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["status"] == "approved" and resp.json()["applied_at"]
    assert ApprovalRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED
    assert action.apply == [req.pk]


def test_read_only(org, req):
    assert api(org.dm).delete(f"{URL}{req.pk}/").status_code == 405
    assert api(org.dm).post(URL, {}).status_code == 405


def test_schema_generates(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/approvals/requests/{id}/approve/" in schema["paths"]
    assert "ApprovalRequestStatusEnum" in schema["components"]["schemas"]
