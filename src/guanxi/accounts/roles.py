"""The nine system roles (codes are stable: demo data, tests and the policy refer to them).

Each role lists permission *patterns*, evaluated in order:
- a literal code ("policy.approve") is always granted, even if its app registers it later;
- a pattern with "*" ("*.view_*") adds every currently known code it matches
  (guanxi.core.permissions.all_permissions());
- a leading "-" removes what the pattern matches from the codes gathered so far.

`ensure_system_roles()` creates the roles that are missing (the data migration and post_migrate
call it; it never changes a role an administrator has edited). A later app that brings new models
calls `grant_new_permissions("<app_label>")` from a data migration of its own, so the system
roles whose patterns match receive that app's codes once.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

# The organisation pages every role may read (choice lists, names of colleagues, org chart).
ORG_READ = ["accounts.view_user", "accounts.view_orgunit", "accounts.view_region", "accounts.view_role"]
# Nothing outside accounts/policy/audit administration: those are the administrator's.
NOT_ADMIN = ["-accounts.*", "-policy.*", "-core.*"]

# Customer archive (issue 3): merging, the archivist queue and erasing personal data are not
# front-line work; the archivist creates and imports records.
FRONT_LINE_EXCLUDED = [
    "-customers.merge_customer",
    "-customers.archive_customer",
    "-customers.erase_contact",
    # Grading (issue 4): a person above the rep confirms grades and starts the proposal run.
    "-grading.confirm_grade",
    "-grading.run_proposals",
]
# Blacklists (issue 4): kept by department managers and the marketing division, read by everyone.
FRONT_LINE_EXCLUDED += ["-blacklist.add_*", "-blacklist.change_*", "-blacklist.lift_*"]
ARCHIVIST_EXTRA = ["customers.add_customer", "customers.add_contact", "customers.import_customer", "customers.archive_customer"]

ACCOUNTS_ADMIN = [
    f"accounts.{action}_{model}"
    for model in ("user", "orgunit", "region", "role")
    for action in ("view", "add", "change", "delete", "export")
]


@dataclass(frozen=True)
class RoleDef:
    code: str
    name: str  # Chinese name, stored in Role.name
    name_en: str
    data_scope: str
    permissions: tuple[str, ...]
    description: str = ""


SYSTEM_ROLES: tuple[RoleDef, ...] = (
    RoleDef(
        "general_manager",
        "总经理",
        "General manager",
        "all",
        ("*", "policy.approve", "policy.view_policyversion", "core.view_auditevent", *ACCOUNTS_ADMIN),
        "All data of the company; approves policy changes and access to other departments' files.",
    ),
    RoleDef(
        "marketing_director",
        "市场总监",
        "Marketing director",
        "all",
        ("*", *NOT_ADMIN, *ORG_READ, "policy.view_policyversion"),
        "All customers; allocates customers to sales representatives.",
    ),
    RoleDef(
        "department_manager",
        "部门经理",
        "Department manager",
        "unit_tree",
        ("*", *NOT_ADMIN, "-*.delete_*", *ORG_READ, "policy.view_policyversion"),
        "Own department and its sub-departments.",
    ),
    RoleDef(
        "sales_rep",
        "客户经理",
        "Sales representative",
        "self",
        ("*", *NOT_ADMIN, "-*.delete_*", "-*.export_*", *FRONT_LINE_EXCLUDED, *ORG_READ, "policy.view_policyversion"),
        "Own customers.",
    ),
    RoleDef(
        "service_staff",
        "客服专员",
        "Service staff",
        "self",
        (
            "*",
            *NOT_ADMIN,
            "-*.delete_*",
            "-*.export_*",
            *FRONT_LINE_EXCLUDED,
            "-customers.view_personal_contact",  # service staff see contacts' personal data masked
            *ORG_READ,
            "policy.view_policyversion",
        ),
        "Own service cases and complaints.",
    ),
    RoleDef(
        "operations",
        "运维",
        "Operations",
        "unit",
        ("*", *NOT_ADMIN, "-*.delete_*", "-*.export_*", *FRONT_LINE_EXCLUDED, *ORG_READ, "policy.view_policyversion"),
        "Complaints and phone checks of the own unit.",
    ),
    RoleDef(
        "archivist",
        "会计/业务文员",
        "Archivist",
        "unit",
        ("*.view_*", "*.change_*", *NOT_ADMIN, *ARCHIVIST_EXTRA, *ORG_READ, "policy.view_policyversion"),
        "Completeness of the records of the own unit.",
    ),
    RoleDef(
        "finance",
        "财务",
        "Finance",
        "unit",
        ("*.view_*", "*.export_*", *NOT_ADMIN, *ORG_READ, "policy.view_policyversion"),
        "Figures of the own unit.",
    ),
    RoleDef(
        "administrator",
        "系统管理员",
        "Administrator",
        "all",
        (
            *ACCOUNTS_ADMIN,
            "core.view_auditevent",
            "policy.view_policyversion",
            "policy.change_policyversion",
            *(f"core.{a}_workdayoverride" for a in ("view", "add", "change", "delete")),
        ),
        "Users, organisation, roles, policy and the working-day calendar; no customer data.",
    ),
)

ROLE_CODES = tuple(r.code for r in SYSTEM_ROLES)
BY_CODE = {r.code: r for r in SYSTEM_ROLES}


def expand(patterns, available) -> list[str]:
    """The codes a pattern list grants, given the currently known codes."""
    granted: dict[str, None] = {}
    for pattern in patterns:
        if pattern.startswith("-"):
            for code in [c for c in granted if fnmatchcase(c, pattern[1:])]:
                del granted[code]
        elif "*" in pattern or "?" in pattern:
            for code in available:
                if fnmatchcase(code, pattern):
                    granted[code] = None
        else:
            granted[pattern] = None
    return sorted(granted)


def permissions_for(code: str, available=None) -> list[str]:
    if available is None:
        from guanxi.core.permissions import all_permissions

        available = list(all_permissions())
    return expand(BY_CODE[code].permissions, available)


def ensure_system_roles(role_model=None, available=None) -> int:
    """Creates the system roles that do not exist yet; returns how many were created.
    Idempotent; existing roles are left exactly as they are."""
    if role_model is None:
        from .models import Role as role_model
    if available is None:
        from guanxi.core.permissions import all_permissions

        available = list(all_permissions())
    existing = set(role_model.objects.values_list("code", flat=True))
    created = 0
    for rd in SYSTEM_ROLES:
        if rd.code in existing:
            continue
        role_model.objects.create(
            code=rd.code,
            name=rd.name,
            name_en=rd.name_en,
            description=rd.description,
            data_scope=rd.data_scope,
            permissions=expand(rd.permissions, available),
            scope_overrides={},
        )
        created += 1
    return created


def grant_new_permissions(app_label: str, role_model=None, available=None) -> None:
    """For an app added later: gives each system role the codes of `app_label` its patterns
    grant (additive; call once, from that app's data migration)."""
    if role_model is None:
        from .models import Role as role_model
    if available is None:
        from guanxi.core.permissions import all_permissions

        available = list(all_permissions())
    prefix = f"{app_label}."
    for role in role_model.objects.filter(code__in=ROLE_CODES):
        new = [c for c in expand(BY_CODE[role.code].permissions, available) if c.startswith(prefix)]
        merged = sorted(set(role.permissions or []) | set(new))
        if merged != sorted(role.permissions or []):
            role.permissions = merged
            role.save(update_fields=["permissions"])
