"""Sidebar menu: only modules that exist, only entries the user may open.

An entry whose URL name does not reverse (its module is not installed or not built yet) is
left out, so a missing module never breaks a page. `GUANXI_NAV_MODULES` in settings lists the
modules shown, in case a deployment switches one off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    icon: str
    perm: str | None = None  # None: every signed-in user
    module: str = ""


@dataclass(frozen=True)
class Group:
    label: str
    icon: str
    children: tuple[Entry, ...] = field(default_factory=tuple)


MENU: tuple[Entry | Group, ...] = (
    Entry(_("Dashboard"), "dashboard", "ti-layout-dashboard", None, "dashboard"),
    Group(
        _("Customers"),
        "ti-users",
        (
            Entry(_("Customers"), "customers:list", "ti-list-details", "customers.view_customer", "customers"),
            Entry(_("Archive work queue"), "customers:archive_queue", "ti-archive", "customers.archive_customer", "customers"),
            Entry(_("Duplicates"), "customers:duplicates", "ti-copy", "customers.merge_customer", "customers"),
            Entry(_("Import customers"), "customers:import", "ti-file-import", "customers.import_customer", "customers"),
        ),
    ),
    Group(
        _("Grading"),
        "ti-stairs-up",
        (
            Entry(_("Grades by unit"), "grading:grade_list", "ti-chart-bar", "grading.view_customergrade", "grading"),
            Entry(_("Quotas"), "grading:quota", "ti-percentage", "grading.view_customergrade", "grading"),
            Entry(_("Grade changes"), "grading:changes", "ti-timeline", "grading.view_gradechange", "grading"),
            Entry(_("Business figures"), "grading:figures", "ti-coin-yuan", "grading.view_businessfigure", "grading"),
            Entry(_("Reviews"), "reviews:pending", "ti-clipboard-check", "reviews.view_review", "grading"),
            Entry(_("Downgrade tasks"), "reviews:downgrade_list", "ti-arrow-big-down-lines", "reviews.view_downgradetask", "grading"),
            Entry(_("Admissions"), "admission:list", "ti-door-enter", "admission.view_admission", "grading"),
            Entry(_("Blacklist"), "blacklist:list", "ti-ban", "blacklist.view_blacklistentry", "grading"),
        ),
    ),
    Entry(_("Notifications"), "notifications:list", "ti-bell", None, "notifications"),
    Entry(_("Approvals"), "approvals:inbox", "ti-checklist", None, "approvals"),
    Entry(_("Policy"), "policy:detail", "ti-adjustments-horizontal", "policy.view_policyversion", "policy"),
    Group(
        _("Organisation"),
        "ti-sitemap",
        (
            Entry(_("Users"), "org:user_list", "ti-users", "accounts.view_user", "org"),
            Entry(_("Units"), "org:unit_list", "ti-building", "accounts.view_orgunit", "org"),
            Entry(_("Regions"), "org:region_list", "ti-map-pin", "accounts.view_region", "org"),
            Entry(_("Roles"), "org:role_list", "ti-id-badge-2", "accounts.view_role", "org"),
        ),
    ),
    Entry(_("Working days"), "audit:workdays", "ti-calendar", "core.view_workdayoverride", "audit"),
    Entry(_("Audit log"), "audit:list", "ti-history", "core.view_auditevent", "audit"),
    Entry(_("API docs"), "api-docs", "ti-api", None, "api"),
)


def _url(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _visible(entry: Entry, user, modules) -> str | None:
    if entry.module and modules is not None and entry.module not in modules:
        return None
    if entry.perm is not None and not user.has_perm(entry.perm):
        return None
    return _url(entry.url_name)


def entries_for(user) -> list[dict]:
    """Flat list of the entries this user may open: label, url, icon, url_name."""
    out = []
    for item in menu_for_user(user):
        out.extend(item["children"] if item["children"] else [item])
    return out


# The menu depends only on which permissions a user has (and the URL prefix): built once per
# distinct permission set in this process, then copied per page to mark the active entry.
_built: dict[tuple, list[dict]] = {}
_BUILT_MAX = 256


def menu_for_user(user, path: str | None = None) -> list[dict]:
    modules = getattr(settings, "GUANXI_NAV_MODULES", None)
    from guanxi.accounts.access import principal_for

    principal = principal_for(user)
    key = (
        bool(user.is_active and user.is_superuser),
        frozenset(principal.permissions) if principal else frozenset(),
        tuple(modules) if modules is not None else None,
        get_script_prefix(),
        settings.ROOT_URLCONF,
    )
    items = _built.get(key)
    if items is None:
        items = _build(user, modules)
        if len(_built) >= _BUILT_MAX:
            _built.clear()
        _built[key] = items
    items = [{**item, "children": [dict(child) for child in item["children"]]} for item in items]
    if path is not None:
        _mark_active(items, path)
    return items


def _build(user, modules) -> list[dict]:
    items: list[dict] = []
    for node in MENU:
        if isinstance(node, Group):
            children = []
            for entry in node.children:
                url = _visible(entry, user, modules)
                if url:
                    children.append({"label": entry.label, "url": url, "icon": entry.icon, "url_name": entry.url_name, "active": False})
            if len(children) == 1:  # a group of one is just that entry
                items.append({**children[0], "icon": node.icon, "children": []})
            elif children:
                items.append({"label": node.label, "url": None, "icon": node.icon, "url_name": None, "active": False, "children": children})
        else:
            url = _visible(node, user, modules)
            if url:
                items.append(
                    {"label": node.label, "url": url, "icon": node.icon, "url_name": node.url_name, "active": False, "children": []}
                )
    return items


def _mark_active(items: list[dict], path: str) -> None:
    """The entry with the longest URL that the current path starts with is active ("/" only
    matches itself), and so is the group holding it."""
    best, best_len = None, -1
    for item in items:
        for entry in item["children"] or [item]:
            url = entry["url"]
            matches = path == url if url == "/" else path.startswith(url)
            if matches and len(url) > best_len:
                best, best_len = (item, entry), len(url)
    if best is not None:
        best[0]["active"] = True
        best[1]["active"] = True


def menu_for(request) -> list[dict]:
    return menu_for_user(request.user, request.path)
