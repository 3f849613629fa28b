"""accounts.services: every write validated, atomic and audited."""

import pytest
from django.utils import timezone

from guanxi.accounts import roles as role_defs
from guanxi.accounts import services
from guanxi.accounts.models import ApiToken, OrgUnit, Position, Region, Role, User
from guanxi.core.errors import DomainError
from guanxi.core.models import AuditEvent
from guanxi.core.permissions import all_permissions

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def events(kind):
    return AuditEvent.objects.filter(event_type=kind)


def test_create_user_validates_and_audits():
    user = services.create_user(username="li.wei", password=PASSWORD, full_name="李伟")
    assert user.check_password(PASSWORD)
    assert events("user.created").filter(subject_id=str(user.pk)).exists()
    with pytest.raises(DomainError) as err:
        services.create_user(username="LI.WEI")
    assert err.value.field == "username"
    with pytest.raises(DomainError) as err:
        services.create_user(username="zhang", password="123")
    assert err.value.field == "password"
    assert not User.objects.filter(username="zhang").exists()
    nopass = services.create_user(username="wang")
    assert not nopass.has_usable_password()


def test_update_user_records_changes_and_refuses_unknown_fields():
    user = services.create_user(username="li")
    services.update_user(user, full_name="Li Na", language="en")
    ev = events("user.updated").get()
    assert ev.data["changes"]["full_name"] == ["", "Li Na"]
    with pytest.raises(DomainError):
        services.update_user(user, is_superuser=True)
    with pytest.raises(DomainError):
        services.update_user(user, language="fr")


def test_deactivate_revokes_tokens_and_is_audited(company):
    token, _key = services.create_api_token(company.rep, "sync")
    services.deactivate_user(company.rep, reason="left the company")
    company.rep.refresh_from_db()
    token.refresh_from_db()
    assert not company.rep.is_active and company.rep.deactivated_at is not None
    assert token.revoked_at is not None
    ev = events("user.deactivated").get()
    assert ev.data["tokens_revoked"] == 1 and ev.data["reason"] == "left the company"
    with pytest.raises(DomainError):
        services.deactivate_user(company.rep)
    services.reactivate_user(company.rep)
    company.rep.refresh_from_db()
    assert company.rep.is_active and company.rep.deactivated_at is None
    assert events("user.reactivated").exists()


def test_positions_and_role_change_are_audited(company):
    r = company.roles
    pos = services.assign_position(company.service, unit=company.units.sales, role=r["sales_rep"], reports_to=company.manager)
    assert events("user.position_added").filter(subject_id=str(company.service.pk)).exists()
    # The new position is primary, the old one no longer.
    assert list(Position.objects.filter(user=company.service, is_primary=True)) == [pos]
    with pytest.raises(DomainError):
        services.assign_position(company.service, unit=company.units.sales, role=r["sales_rep"])
    with pytest.raises(DomainError):
        services.assign_position(company.service, unit=company.units.east, role=r["sales_rep"], reports_to=company.service)
    services.change_role(pos, r["operations"])
    ev = events("user.role_changed").get()
    assert ev.data["from"] == "sales_rep" and ev.data["to"] == "operations"
    services.remove_position(pos)
    assert not Position.objects.filter(pk=pos.pk).exists()
    assert events("user.position_removed").exists()


def test_org_unit_tree_refuses_moving_below_itself(company):
    u = company.units
    with pytest.raises(DomainError) as err:
        services.move_org_unit(u.sales, u.east)
    assert err.value.field == "parent"
    with pytest.raises(DomainError):
        services.move_org_unit(u.sales, u.sales)
    # A legal move takes the subtree along.
    services.move_org_unit(u.sales, u.service)
    u.east.refresh_from_db()
    assert u.east.path.startswith(OrgUnit.objects.get(pk=u.service.pk).path)
    assert u.east.depth == 3
    assert events("orgunit.moved").exists()
    new = services.create_org_unit(name="North", code="north", kind="team", parent=u.sales)
    assert new.path.endswith(f"/{new.pk}/") and events("orgunit.created").exists()
    with pytest.raises(DomainError):
        services.create_org_unit(name="Dup", code="north", kind="team")
    services.update_org_unit(new, name="North team", parent=u.company)
    new.refresh_from_db()
    assert new.name == "North team" and new.parent_id == u.company.pk


def test_region_tree():
    china = services.create_region(name="华东", code="east-china", kind="area")
    sh = services.create_region(name="上海", code="shanghai", kind="province", parent=china)
    with pytest.raises(DomainError):
        services.move_region(china, sh)
    services.update_region(sh, parent=None)
    sh.refresh_from_db()
    assert sh.depth == 0
    assert Region.objects.count() == 2


def test_role_permissions_and_overrides_are_validated():
    role = services.create_role(code="auditor", name="审计", permissions=["accounts.view_user"], data_scope="unit")
    assert events("role.created").exists()
    with pytest.raises(DomainError) as err:
        services.create_role(code="bad", name="x", permissions=["accounts.fly_user"])
    assert err.value.field == "permissions"
    with pytest.raises(DomainError):
        services.create_role(code="bad2", name="x", scope_overrides={"accounts.user": "galaxy"})
    with pytest.raises(DomainError):
        services.create_role(code="bad3", name="x", scope_overrides={"nothing.here": "all"})
    with pytest.raises(DomainError):
        services.create_role(code="bad4", name="x", data_scope="everything")
    services.update_role(role, permissions=["accounts.view_user", "accounts.view_orgunit"], scope_overrides={"accounts.user": "all"})
    ev = events("role.updated").get()
    assert ev.data["added"] == ["accounts.view_orgunit"] and ev.data["removed"] == []
    role.refresh_from_db()
    assert role.scope_overrides == {"accounts.user": "all"}


def test_role_keeps_codes_it_already_holds_even_if_unregistered():
    role = Role.objects.create(code="legacy", name="legacy", permissions=["future.view_thing"])
    services.update_role(role, permissions=["future.view_thing", "accounts.view_user"])
    with pytest.raises(DomainError):
        services.update_role(role, permissions=["other.view_thing"])


def test_api_token_created_once_hashed_and_revoked(company):
    token, key = services.create_api_token(company.rep, "Excel sync", timezone.now() + timezone.timedelta(days=30))
    assert key.startswith("gx_") and len(key) > 40
    assert token.prefix == key[:8] and token.key_hash == ApiToken.hash_key(key)
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert events("api_token.created").exists()
    services.revoke_api_token(token)
    assert not ApiToken.objects.get(pk=token.pk).is_usable
    assert events("api_token.revoked").count() == 1
    with pytest.raises(DomainError):
        services.create_api_token(company.rep, "")
    with pytest.raises(DomainError):
        services.create_api_token(company.rep, "old", timezone.now() - timezone.timedelta(days=1))


def test_system_roles_seeded_idempotently(system_roles):
    assert set(system_roles) >= set(role_defs.ROLE_CODES)
    assert role_defs.ensure_system_roles() == 0
    gm = system_roles["general_manager"]
    assert gm.name == "总经理" and gm.name_en == "General manager" and gm.data_scope == "all"
    assert {"policy.approve", "accounts.view_user", "core.view_auditevent"} <= set(gm.permissions)
    admin = system_roles["administrator"]
    assert admin.data_scope == "all"
    assert {"accounts.change_user", "accounts.export_user", "policy.change_policyversion", "core.view_auditevent"} <= set(admin.permissions)
    assert all(p.split(".")[0] in ("accounts", "core", "policy") for p in admin.permissions), "administrator must hold no customer data"
    assert system_roles["department_manager"].data_scope == "unit_tree"
    assert system_roles["sales_rep"].data_scope == "self"
    for code in ("operations", "archivist", "finance"):
        assert system_roles[code].data_scope == "unit"
    # Every model code a system role holds is a known permission (extra codes like
    # policy.approve are registered by their app).
    # core.view_auditevent comes with the audit page (core registers it).
    known = set(all_permissions()) | {"core.view_auditevent"}
    for role in system_roles.values():
        unknown = {
            c for c in role.permissions if c not in known and c.split(".")[1].split("_")[0] in ("view", "add", "change", "delete", "export")
        }
        assert not unknown, f"{role.code}: {unknown}"


def test_grant_new_permissions_is_additive(system_roles):
    rep = system_roles["sales_rep"]
    rep.permissions = [c for c in rep.permissions if not c.startswith("accounts.")]
    rep.save()
    role_defs.grant_new_permissions("accounts")
    rep.refresh_from_db()
    assert "accounts.view_user" in rep.permissions and "accounts.change_user" not in rep.permissions


def test_pattern_expansion():
    available = ["a.view_x", "a.delete_x", "b.view_y", "accounts.view_user"]
    assert role_defs.expand(["*", "-accounts.*", "-*.delete_*", "lit.code"], available) == ["a.view_x", "b.view_y", "lit.code"]
