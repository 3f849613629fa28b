"""The shared scope matrix (tests/support/scoped.py) applied to the organisation models."""

from guanxi.accounts.models import OrgUnit, Region, Role, User
from tests.support import org
from tests.support.scoped import ScopedObjectTests


class TestUserScope(ScopedObjectTests):
    model = User
    list_url = "org:user_list"
    detail_url = "org:user_detail"
    create_url = "org:user_create"
    edit_url = "org:user_edit"
    # Users are never deleted (their history and audit rows point at them): deactivation is
    # the delete of this object type.
    delete_url = "org:user_deactivate"
    export_url = "org:user_export"
    api_basename = "user"
    # Nothing is deleted through the API (users are deactivated, the rest switched inactive).
    api_actions = ("list", "retrieve", "create", "update")
    constrained_scope = "unit"
    extra_permissions = ("accounts.view_orgunit", "accounts.view_role")
    list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return org.make_user(org.make_role("scope-member"), env.home if in_scope else env.other)

    def form_data(self, env):
        return {"username": env.unique("new"), "full_name": "New Person", "email": "new@example.com", "language": "zh-hans"}

    def edit_data(self, env, obj):
        return {"full_name": "Renamed Person", "email": obj.email, "employee_no": "E-1", "mobile": "", "language": "en"}

    def out_of_scope_form_data(self, env):
        role = org.make_role("scope-member")
        return {**self.form_data(env), "unit": env.other.pk, "role": role.pk}

    def api_payload(self, env):
        return {"username": env.unique("api"), "full_name": "API Person", "email": "api@example.com", "language": "zh-hans"}

    def api_update_payload(self, env, obj):
        return {"full_name": "Renamed by API"}

    def assert_deleted(self, obj):
        obj.refresh_from_db()
        assert not obj.is_active, "the user is still active after deactivation"

    def export_marker(self, obj):
        return obj.username


class TestOrgUnitScope(ScopedObjectTests):
    model = OrgUnit
    list_url = "org:unit_list"
    detail_url = "org:unit_detail"
    create_url = "org:unit_create"
    edit_url = "org:unit_edit"
    api_basename = "orgunit"
    # Nothing is deleted through the API (users are deactivated, the rest switched inactive).
    api_actions = ("list", "retrieve", "create", "update")
    constrained_scope = "unit_tree"
    list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return org.make_unit(parent=env.home if in_scope else env.other)

    def form_data(self, env):
        return {
            "name": env.unique("Unit"),
            "code": env.unique("u"),
            "kind": "department",
            "parent": env.company.pk,
            "sort_order": 0,
            "is_active": "on",
        }

    def edit_data(self, env, obj):
        return {
            "name": f"{obj.name} renamed",
            "code": obj.code,
            "kind": obj.kind,
            "parent": obj.parent_id or "",
            "sort_order": 1,
            "is_active": "on",
        }

    def out_of_scope_form_data(self, env):
        return {**self.form_data(env), "parent": env.other.pk}

    def api_payload(self, env):
        return {"name": env.unique("Unit"), "code": env.unique("u"), "kind": "department", "parent": env.company.pk}

    def api_update_payload(self, env, obj):
        return {"name": f"{obj.name} (API)"}

    def api_out_of_scope_payload(self, env):
        return {**self.api_payload(env), "parent": env.other.pk}


class TestRegionScope(ScopedObjectTests):
    model = Region
    list_url = "org:region_list"
    detail_url = "org:region_detail"
    create_url = "org:region_create"
    edit_url = "org:region_edit"
    api_basename = "region"
    # Nothing is deleted through the API (users are deactivated, the rest switched inactive).
    api_actions = ("list", "retrieve", "create", "update")
    # Regions are reference data: every scope reads the whole tree, so there is no
    # out-of-scope region and the constrained tests do not apply.
    constrained_scope = None
    list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return Region.objects.create(name=env.unique("Region"), code=env.unique("r"), kind="province")

    def form_data(self, env):
        return {"name": env.unique("Region"), "code": env.unique("r"), "kind": "province", "is_active": "on"}

    def edit_data(self, env, obj):
        return {"name": f"{obj.name} renamed", "code": obj.code, "kind": obj.kind, "is_active": "on"}

    def api_payload(self, env):
        return {"name": env.unique("Region"), "code": env.unique("r"), "kind": "city"}

    def api_update_payload(self, env, obj):
        return {"name": f"{obj.name} (API)"}


class TestRoleScope(ScopedObjectTests):
    model = Role
    list_url = "org:role_list"
    detail_url = "org:role_detail"
    create_url = "org:role_create"
    edit_url = "org:role_edit"
    api_basename = "role"
    # Nothing is deleted through the API (users are deactivated, the rest switched inactive).
    api_actions = ("list", "retrieve", "create", "update")
    # Narrower scopes see only the roles the user holds.
    constrained_scope = "unit"
    list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        role = org.make_role(env.unique("role"), permissions=[], scope="self")
        if in_scope:
            org.Position.objects.create(user=env.constrained, unit=env.child, role=role)
        return role

    def form_data(self, env):
        return {
            "code": env.unique("role"),
            "name": "New role",
            "data_scope": "self",
            "permissions": ["accounts.view_user"],
            "scope_overrides": "{}",
            "is_active": "on",
        }

    def edit_data(self, env, obj):
        return {
            "name": f"{obj.name} renamed",
            "name_en": "",
            "description": "",
            "data_scope": "unit",
            "permissions": [],
            "scope_overrides": "{}",
            "is_active": "on",
        }

    def api_payload(self, env):
        return {"code": env.unique("role"), "name": "API role", "data_scope": "self", "permissions": ["accounts.view_user"]}

    def api_update_payload(self, env, obj):
        return {"name": f"{obj.name} (API)"}
