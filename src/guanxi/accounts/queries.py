"""Read side of accounts and organisation (lists, trees, the profile page)."""

from __future__ import annotations

from django.db.models import Prefetch

from .models import ApiToken, Position, User


def users_with_positions(qs):
    return qs.prefetch_related(
        Prefetch("positions", queryset=Position.objects.select_related("unit", "role", "reports_to").order_by("-is_primary", "pk"))
    )


def positions_of(user: User):
    return user.positions.select_related("unit", "role", "reports_to").order_by("-is_primary", "unit__path", "pk")


def tree_order(nodes) -> list:
    """Nodes of a materialised-path tree in display order (siblings by sort_order, then name),
    each with `indent`: depth below the shallowest visible ancestor. A node whose parent is not
    in the list is shown as a root."""
    nodes = list(nodes)
    by_id = {n.pk: n for n in nodes}
    children: dict[int | None, list] = {}
    for n in nodes:
        parent = n.parent_id if n.parent_id in by_id else None
        children.setdefault(parent, []).append(n)

    def key(n):
        return (getattr(n, "sort_order", 0), n.name, n.pk)

    out = []

    def walk(parent_id, indent):
        for n in sorted(children.get(parent_id, []), key=key):
            n.indent = indent
            out.append(n)
            walk(n.pk, indent + 1)

    walk(None, 0)
    return out


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user).order_by("-created_at")
