"""Actions the approval engine knows. An app registers each action it submits requests for,
usually in its AppConfig.ready():

    from guanxi.approvals import registry
    registry.register("policy.change", label=_("Policy change"), apply=activate_version,
                      reject=discard_version, summary_template="policy/approval_summary.html")

- `apply(request)` runs exactly once, on final approval, inside the deciding transaction (an
  exception rolls the approval back).
- `reject(request)` runs once when the request is finally rejected; `cancel(request)` when the
  requester withdraws it. Both optional, both inside the transaction.
- How the detail page shows the payload: `summary_template` (rendered with `approval`, `target`,
  `payload` and the HTTP request), else `describe(request) -> str`, else a plain key/value table of the payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guanxi.core.errors import DomainError


@dataclass(frozen=True)
class Action:
    key: str
    label: Any
    apply: Callable
    reject: Callable | None = None
    cancel: Callable | None = None
    describe: Callable | None = None
    summary_template: str | None = None


ACTIONS: dict[str, Action] = {}


def register(
    action: str,
    *,
    label,
    apply: Callable,
    reject: Callable | None = None,
    cancel: Callable | None = None,
    describe: Callable | None = None,
    summary_template: str | None = None,
) -> Action:
    if not callable(apply):
        raise TypeError(f"apply for approval action {action!r} must be callable")
    entry = Action(action, label, apply, reject, cancel, describe, summary_template)
    ACTIONS[action] = entry
    return entry


def unregister(action: str) -> None:
    ACTIONS.pop(action, None)


def get(action: str) -> Action | None:
    return ACTIONS.get(action)


def require(action: str) -> Action:
    from django.utils.translation import gettext as _

    entry = ACTIONS.get(action)
    if entry is None:
        raise DomainError(_("“%(action)s” is not an action that can be approved.") % {"action": action}, code="unknown_action")
    return entry


def label_for(action: str):
    entry = ACTIONS.get(action)
    return entry.label if entry is not None else action


def choices() -> list[tuple[str, str]]:
    return sorted(((k, str(a.label)) for k, a in ACTIONS.items()), key=lambda kv: kv[1])
