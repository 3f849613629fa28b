"""Read side of the policy: versions a user may see, diff and error rows for the pages."""

from __future__ import annotations

import yaml

from .models import PolicyVersion
from .schema import clause_map


def versions(user):
    return PolicyVersion.objects.restrict(user, "view")


def _text(value) -> str:
    if isinstance(value, list | dict):
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100).rstrip()
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "—" if value is None else str(value)


def diff_rows(diff: list[dict]) -> list[dict]:
    known = clause_map()
    rows = []
    for change in diff or []:
        clause = known.get(change.get("key", ""))
        old, new = _text(change.get("old")), _text(change.get("new"))
        rows.append(
            {
                "key": change.get("key", ""),
                "label": clause.label if clause else "",
                "seed": clause.seed if clause else "",
                "old": old,
                "new": new,
                "block": "\n" in old or "\n" in new,
            }
        )
    return rows


def error_rows(errors: dict[str, list[str]]) -> list[dict]:
    known = clause_map()
    return [{"key": key, "label": known[key].label if key in known else "", "messages": msgs} for key, msgs in errors.items()]
