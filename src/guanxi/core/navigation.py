"""Sidebar menu: only modules that exist, only entries the user may open.

An entry whose URL name does not reverse (its module is not installed or not built yet) is
left out, so a missing module never breaks a page. `GUANXI_NAV_MODULES` in settings lists the
modules shown, in case a deployment switches one off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .form_renderer import esc
from .memo import remember


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
            Entry(
                _("Personal-data requests"), "customers:personal_requests", "ti-user-shield", "customers.view_personal_contact", "customers"
            ),
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


def _built_for(user) -> tuple[tuple, list[dict]]:
    """(key, items) of the user's menu, shared: never change the items."""
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
    return key, remember(_built, key, lambda: _build(user, modules))


def menu_for_user(user, path: str | None = None) -> list[dict]:
    _key, items = _built_for(user)
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


def _active_url(items: list[dict], path: str) -> str | None:
    """The entry with the longest URL that the current path starts with is active ("/" only
    matches itself), and so is the group holding it."""
    best = None
    for item in items:
        for entry in item["children"] or [item]:
            url = entry["url"]
            matches = path == url if url == "/" else path.startswith(url)
            if matches and (best is None or len(url) > len(best)):
                best = url
    return best


def _mark_active(items: list[dict], path: str) -> None:
    url = _active_url(items, path)
    for item in items:
        for entry in item["children"] or [item]:
            if url is not None and entry["url"] == url:
                item["active"] = entry["active"] = True
                return


# The sidebar's HTML per menu, language and active entry: the same few strings serve every page
# view, where the template loop cost a few milliseconds a page.
_html: dict[tuple, str] = {}
_CURRENT = ' aria-current="page"'


def menu_html(request) -> SafeString:
    key, items = _built_for(request.user)
    active = _active_url(items, request.path)
    html = remember(_html, (key, get_language(), active), lambda: _render(items, active))
    return mark_safe(html)  # noqa: S308 (_render escapes every value)


def _render(items: list[dict], active: str | None) -> str:
    out = []
    for counter, item in enumerate(items, start=1):
        icon = f'<i class="ti {esc(item["icon"])}" aria-hidden="true"></i>'
        label = esc(item["label"])
        if item["children"]:
            on = any(child["url"] == active for child in item["children"])
            links = "".join(
                f'<a class="dropdown-item{" active" if child["url"] == active else ""}" href="{esc(child["url"])}"'
                f'{_CURRENT if child["url"] == active else ""}><i class="ti {esc(child["icon"])} me-2" '
                f'aria-hidden="true"></i>{esc(child["label"])}</a>'
                for child in item["children"]
            )
            out.append(
                f'<li class="nav-item dropdown{" active" if on else ""}"><a class="nav-link dropdown-toggle{" show" if on else ""}" '
                f'href="#nav-group-{counter}" data-bs-toggle="dropdown" data-bs-auto-close="false" role="button" '
                f'aria-expanded="{"true" if on else "false"}"><span class="nav-link-icon d-md-none d-lg-inline-block">{icon}</span>'
                f'<span class="nav-link-title">{label}</span></a><div class="dropdown-menu{" show" if on else ""}" '
                f'id="nav-group-{counter}">{links}</div></li>'
            )
        else:
            on = item["url"] == active
            out.append(
                f'<li class="nav-item{" active" if on else ""}"><a class="nav-link" href="{esc(item["url"])}"'
                f'{_CURRENT if on else ""}><span class="nav-link-icon d-md-none d-lg-inline-block">{icon}</span>'
                f'<span class="nav-link-title">{label}</span></a></li>'
            )
    return "\n".join(out)
