"""REST API of the policy."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from guanxi.policy import services

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_current_policy(people):
    response = _api(people.viewer).get("/api/policy/current/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["data"]["pool"]["reclaim_after_days"] == 60
    assert body["data"]["care"]["approval_threshold_yuan"] == "30000.00"
    assert _api(people.outsider).get("/api/policy/current/").status_code == 403
    assert APIClient().get("/api/policy/current/").status_code in (401, 403)


def test_versions(people):
    services.propose_change(people.admin, {"pool": {"reclaim_after_days": 30}}, "why not")
    client = _api(people.viewer)
    listing = client.get("/api/policy/versions/").json()
    assert [v["number"] for v in listing["results"]] == [2, 1]
    assert listing["results"][0]["diff"] == [{"key": "pool.reclaim_after_days", "old": 60, "new": 30}]
    assert "data" not in listing["results"][0]
    detail = client.get("/api/policy/versions/2/").json()
    assert detail["status"] == "pending" and detail["base"] == 1 and detail["data"]["pool"]["reclaim_after_days"] == 30
    assert client.get("/api/policy/versions/99/").status_code == 404
    assert _api(people.outsider).get("/api/policy/versions/").status_code == 403
    assert client.post("/api/policy/versions/", {}).status_code in (403, 405)


def test_schema_generates(people):
    response = _api(people.viewer).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/policy/current/" in paths
    assert "/api/policy/versions/{number}/" in paths
