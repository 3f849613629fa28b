"""Panels other apps add to the customer page (grade and its explanation, admission, blacklist
banner, …) without editing the customer templates.

`register(key, template=..., context=fn, position=..., order=...)`, typically from the app's
AppConfig.ready(). `fn(customer, user)` returns the template's context (a dict) or None when
the panel has nothing to show for this customer or user. Positions: "banner" (above the
columns, for warnings), "main" (left column, below the company information) and "side"
(right column). Like timeline sources, a failing panel is logged and left out so one broken
extension never takes the customer page down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

POSITIONS = ("banner", "main", "side")


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[..., dict | None]
    position: str = "side"
    order: int = 100


PANELS: dict[str, Panel] = {}


def register(key: str, *, template: str, context: Callable[..., dict | None], position: str = "side", order: int = 100) -> Panel:
    if position not in POSITIONS:
        raise ValueError(f"unknown panel position {position!r}; use one of {POSITIONS}")
    panel = Panel(key, template, context, position, order)
    PANELS[key] = panel  # registering a key again replaces it (reloads in tests)
    return panel


def unregister(key: str) -> None:
    PANELS.pop(key, None)


def panels_for(customer, user) -> dict[str, list[dict]]:
    """{position: [{"key", "template", "context"}]} of the panels that have something to show."""
    out: dict[str, list[dict]] = {p: [] for p in POSITIONS}
    for panel in sorted(PANELS.values(), key=lambda p: (p.order, p.key)):
        try:
            context = panel.context(customer, user)
        except Exception:  # an extension's bug must not break the customer page
            logger.exception("customer panel %r failed for customer %s", panel.key, customer.pk)
            continue
        if context is not None:
            out[panel.position].append({"key": panel.key, "template": panel.template, "context": {**context, "customer": customer}})
    return out
