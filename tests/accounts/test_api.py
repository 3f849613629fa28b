"""REST API of accounts: scoped reads, writes through services, tokens, me."""

import pytest
from rest_framework.test import APIClient

from guanxi.accounts import services
from guanxi.accounts.models import User
from guanxi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def api_for(user):
    _token, key = services.create_api_token(user, "test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def usernames(response):
    assert response.status_code == 200, response.content
    return {row["username"] for row in response.json()["results"]}


def test_user_list_is_scoped(company):
    assert usernames(api_for(company.admin).get("/api/users/")) == {"admin", "gm", "manager", "rep", "rep2", "service"}
    assert usernames(api_for(company.manager).get("/api/users/")) == {"manager", "rep", "rep2"}
    assert usernames(api_for(company.rep).get("/api/users/")) == {"rep"}
    assert api_for(company.rep).get(f"/api/users/{company.rep2.pk}/").status_code == 404
    assert usernames(api_for(company.admin).get("/api/users/", {"q": "rep"})) == {"rep", "rep2"}


def test_no_password_or_hash_in_user_payload(company):
    row = api_for(company.admin).get(f"/api/users/{company.rep.pk}/").json()
    assert "password" not in row and row["username"] == "rep"
    assert row["positions"][0]["role_code"] == "sales_rep"


def test_admin_creates_user_through_the_service(company):
    api = api_for(company.admin)
    response = api.post(
        "/api/users/", {"username": "api.user", "full_name": "API", "password": "Strong-enough-pass-1", "language": "en"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    user = User.objects.get(username="api.user")
    assert user.check_password("Strong-enough-pass-1")
    ev = AuditEvent.objects.get(event_type="user.created", subject_id=str(user.pk))
    assert ev.source == "api" and ev.actor_id == company.admin.pk
    weak = api.post("/api/users/", {"username": "weak", "password": "1"}, format="json")
    assert weak.status_code == 400 and weak.json()["field"] == "password"
    dup = api.post("/api/users/", {"username": "api.user"}, format="json")
    assert dup.status_code in (400, 409)
    patch = api.patch(f"/api/users/{user.pk}/", {"full_name": "Renamed"}, format="json")
    assert patch.status_code == 200 and User.objects.get(pk=user.pk).full_name == "Renamed"
    assert api.delete(f"/api/users/{user.pk}/").status_code == 405


def test_non_admins_cannot_write(company):
    rep = api_for(company.rep)
    assert rep.post("/api/users/", {"username": "x"}, format="json").status_code == 403
    assert rep.patch(f"/api/users/{company.rep.pk}/", {"full_name": "Me"}, format="json").status_code == 403
    assert rep.post("/api/roles/", {"code": "x", "name": "x"}, format="json").status_code == 403
    assert rep.post(f"/api/users/{company.rep.pk}/deactivate/", {}, format="json").status_code == 403


def test_deactivate_through_the_api(company):
    api = api_for(company.admin)
    victim = api_for(company.rep)
    response = api.post(f"/api/users/{company.rep.pk}/deactivate/", {"reason": "left"}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert victim.get("/api/me/").status_code == 401
    again = api.post(f"/api/users/{company.rep.pk}/deactivate/", {}, format="json")
    assert again.status_code == 400


def test_units_regions_roles_api(company):
    api = api_for(company.admin)
    unit = api.post("/api/org-units/", {"name": "North", "code": "north", "kind": "team", "parent": company.units.sales.pk}, format="json")
    assert unit.status_code == 201, unit.content
    uid = unit.json()["id"]
    assert unit.json()["depth"] == 2
    loop = api.patch(f"/api/org-units/{company.units.sales.pk}/", {"parent": uid}, format="json")
    assert loop.status_code == 400 and loop.json()["field"] == "parent"
    region = api.post("/api/regions/", {"name": "华北", "code": "north-china", "kind": "area"}, format="json")
    assert region.status_code == 201
    role = api.post(
        "/api/roles/", {"code": "viewer", "name": "查看", "permissions": ["accounts.view_user"], "data_scope": "unit"}, format="json"
    )
    assert role.status_code == 201, role.content
    bad = api.post("/api/roles/", {"code": "bad", "name": "x", "permissions": ["nope.fly_x"]}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "permissions"
    bad_scope = api.post("/api/roles/", {"code": "bad2", "name": "x", "scope_overrides": {"accounts.user": "galaxy"}}, format="json")
    assert bad_scope.status_code == 400
    # Manager sees own unit tree only.
    codes = {u["code"] for u in api_for(company.manager).get("/api/org-units/").json()["results"]}
    assert codes == {company.units.sales.code, company.units.east.code, "north"}


def test_me(company):
    data = api_for(company.manager).get("/api/me/").json()
    assert data["username"] == "manager"
    assert "accounts.view_user" in data["permissions"] and "accounts.change_user" not in data["permissions"]
    assert data["positions"][0]["role_code"] == "department_manager"
    assert APIClient().get("/api/me/").status_code in (401, 403)


def test_revoked_and_expired_tokens_are_refused(company):
    from django.utils import timezone

    token, key = services.create_api_token(company.rep, "t")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/me/").status_code == 200
    services.revoke_api_token(token)
    assert client.get("/api/me/").status_code == 401
    token2, key2 = services.create_api_token(company.rep, "t2", timezone.now() + timezone.timedelta(hours=1))
    type(token2).objects.filter(pk=token2.pk).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key2}")
    assert client.get("/api/me/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token gx_not-a-real-key")
    assert client.get("/api/me/").status_code == 401


def test_schema_has_no_warnings_for_accounts(admin_client_schema=None):
    import io

    from django.core.management import call_command

    err = io.StringIO()
    call_command("spectacular", "--validate", stdout=io.StringIO(), stderr=err)
    accounts_lines = [line for line in err.getvalue().splitlines() if "accounts" in line and ("Warning" in line or "Error" in line)]
    assert not accounts_lines, accounts_lines


def test_related_fields_only_accept_objects_in_scope(company, system_roles):
    from guanxi.accounts.models import Role
    from tests.support import org

    # A unit manager who may add units, but only sees the sales tree.
    role = Role.objects.create(
        code="unit-admin", name="unit admin", data_scope="unit_tree", permissions=["accounts.view_orgunit", "accounts.add_orgunit"]
    )
    boss = org.make_user(role, company.units.sales)
    api = api_for(boss)
    outside = api.post("/api/org-units/", {"name": "X", "code": "x-out", "kind": "team", "parent": company.units.service.pk}, format="json")
    assert outside.status_code == 400 and "parent" in outside.json()
    inside = api.post("/api/org-units/", {"name": "Y", "code": "y-in", "kind": "team", "parent": company.units.east.pk}, format="json")
    assert inside.status_code == 201
