"""What a user may do and see: permissions and data-scope levels from their current positions.

Built from the positions, roles and units, then kept in the shared cache under an "access
version" that every change to those tables (and to users) replaces. So a changed role or a
deactivated user still takes effect on the very next request (F-ORG-3), while an ordinary page
view reads one cache key instead of walking positions and reporting lines. The day is part of
the key because positions start and end on dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from guanxi.core import cache_versions

from .models import SCOPE_ORDER, DataScope, Position


@dataclass
class Principal:
    user_id: int
    unit_ids: set[int] = field(default_factory=set)
    unit_paths: list[str] = field(default_factory=list)
    role_ids: set[int] = field(default_factory=set)
    subordinate_ids: set[int] = field(default_factory=set)
    require_2fa: bool = False
    # (code, name, English name) of the current roles, for the page header
    roles: list[tuple[str, str, str]] = field(default_factory=list)
    # permission code -> list of (default scope, overrides) of the roles granting it
    _grants: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    # What other apps add to the principal (register_part), by name
    parts: dict[str, Any] = field(default_factory=dict)

    @property
    def permissions(self) -> set[str]:
        return set(self._grants)

    def role_names(self) -> list[str]:
        english = (get_language() or "").startswith("en")
        return [(name_en if english and name_en else name) for _code, name, name_en in sorted(self.roles)]

    def has_perm(self, code: str) -> bool:
        return code in self._grants

    def scope_level(self, model, action: str) -> str | None:
        """Widest scope among the roles that grant `action` on `model`; None if none does."""
        from guanxi.core.querysets import permission_code

        grants = self._grants.get(permission_code(model, action))
        if not grants:
            return None
        label = model._meta.label_lower
        levels = [overrides.get(label, default) for default, overrides in grants]
        return max(levels, key=SCOPE_ORDER.index)


def _current_positions(user_id: int):
    today = timezone.localdate()
    return (
        Position.objects.filter(user_id=user_id, role__is_active=True, unit__is_active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("role", "unit")
    )


def _subordinates(user_id: int) -> set[int]:
    # Reporting lines form a small graph (≈1,000 users): walk it breadth-first.
    edges: dict[int, set[int]] = {}
    for sub, boss in Position.objects.filter(reports_to__isnull=False).values_list("user_id", "reports_to_id"):
        edges.setdefault(boss, set()).add(sub)
    seen: set[int] = set()
    frontier = {user_id}
    while frontier:
        nxt = set()
        for boss in frontier:
            nxt |= edges.get(boss, set()) - seen - {user_id}
        seen |= nxt
        frontier = nxt
    return seen


# name -> function of the user id: facts other apps need on every request (a rep's team
# memberships, for the customer scope), kept with the principal. A change to what they read
# must bump the access version.
_parts: dict[str, Callable[[int], Any]] = {}


def register_part(name: str, build: Callable[[int], Any]) -> None:
    _parts[name] = build


def part(principal: Principal, name: str) -> Any:
    """The principal's part `name`, None when it was built without it."""
    return getattr(principal, "parts", {}).get(name)


def build_principal(user_id: int) -> Principal:
    p = Principal(user_id=user_id)
    for name, build in _parts.items():
        p.parts[name] = build(user_id)
    for pos in _current_positions(user_id):
        p.unit_ids.add(pos.unit_id)
        p.unit_paths.append(pos.unit.path)
        p.role_ids.add(pos.role_id)
        p.require_2fa |= pos.role.require_2fa
        role = (pos.role.code, pos.role.name, pos.role.name_en)
        if role not in p.roles:
            p.roles.append(role)
        for code in pos.role.permissions:
            p._grants.setdefault(code, []).append((pos.role.data_scope, pos.role.scope_overrides or {}))
    needs_subs = any(
        lvl == DataScope.SUBORDINATES or DataScope.SUBORDINATES in ov.values() for grants in p._grants.values() for lvl, ov in grants
    )
    if needs_subs:
        p.subordinate_ids = _subordinates(user_id)
    return p


ACCESS_VERSION_KEY = "guanxi:access-version"
PRINCIPAL_TTL = 3600


def access_version() -> str:
    return cache_versions.current(ACCESS_VERSION_KEY)


def bump_access_version() -> None:
    """Forget every cached principal (see core.cache_versions)."""
    cache_versions.bump(ACCESS_VERSION_KEY)


def _cache_key(user_id: int, version: str) -> str:
    return f"guanxi:principal:{user_id}:{version}:{timezone.localdate().isoformat()}"


# Principals this process has already read, by their cache key. The key names the access version
# and the day, so a replaced version leaves an entry unreachable, never stale; this saves a
# cache round trip and an unpickling on every request. Principals are not changed once built.
_local: dict[str, Principal] = {}
LOCAL_MAX = 4096


def principal_for(user) -> Principal | None:
    """The user's principal: memoised on the user object with the access version it was built
    for, so that an object held across a change of roles (a task, a shell, a test) gets the new
    one; in a request the version comes with the signed-in user (accounts.backends), elsewhere
    from the cache."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    version = _version()
    memo = getattr(user, "_guanxi_principal", None)
    if memo is None or memo[0] != version:
        memo = user._guanxi_principal = (version, _principal(user.pk, version))
    return memo[1]


def principal_by_id(user_id: int | None) -> Principal | None:
    """The principal of the user with this id, for code that knows only the acting user's id
    (core.context)."""
    if not user_id:
        return None
    return _principal(user_id, _version())


def _version() -> str:
    # Read along with the signed-in user in a request (no round trip); a bump drops it there.
    return cache_versions.read_along(ACCESS_VERSION_KEY) or access_version()


def _principal(user_id: int, version: str) -> Principal:
    key = _cache_key(user_id, version)
    cached = _local.get(key)
    if cached is None:
        cached = cache.get(key)
        if cached is None:
            cached = build_principal(user_id)
            cache.set(key, cached, PRINCIPAL_TTL)
        if len(_local) >= LOCAL_MAX:
            _local.clear()
        _local[key] = cached
    return cached


def has_perm(user, code: str) -> bool:
    p = principal_for(user)
    return p is not None and p.has_perm(code)
