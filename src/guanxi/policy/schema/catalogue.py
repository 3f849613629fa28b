"""The clause catalogue: every leaf of the policy schema with its stable key and metadata.

Keys are dotted paths (`pool.reclaim_after_days`, `kpi.penalties.churned_customer_yuan`). A
field whose type is a policy section is a *group* and is walked into; every other field is a
clause. The metadata lives on the fields (`json_schema_extra`, see base.clause()); the fields of
the `approvals` section, which the approvals app declares, get theirs from APPROVALS_META.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from annotated_types import Ge, Le
from django.utils.translation import gettext_noop
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .root import Policy

APPROVALS_META = {
    "flows": {
        "label_zh": "各业务审批流程",
        "label_en": "Approval flow per action",
        "help": gettext_noop(
            "For each action (e.g. policy.change) the sequential steps: a role in the requester's unit or above, a named user, or the N-th supervisor; any one (或签) or all (会签) approve."
        ),
        "seed": "SPEC F-APR-1; seed 000 §客户资源的调配 2; seed 002 §1.5; seed 004 §14.4",
        "unit": "",
    },
    "escalate_after_hours": {
        "label_zh": "审批超时升级",
        "label_en": "Escalate a waiting approval after",
        "help": gettext_noop("A step waiting longer than this is escalated to the next level."),
        "seed": "SPEC F-APR-1",
        "unit": "hours",
    },
    "fallback_role": {
        "label_zh": "无审批人时的兜底角色",
        "label_en": "Role that approves when nobody else can",
        "help": gettext_noop("Holders of this role approve when no approver is found."),
        "seed": "SPEC F-APR-1",
        "unit": "",
    },
}


@dataclass(frozen=True)
class Clause:
    key: str
    path: tuple[str, ...]
    label_zh: str
    label_en: str
    help: str
    seed: str
    unit: str
    kind: str  # int | decimal | bool | choice | multichoice | text | structured
    annotation: Any = field(repr=False, compare=False)
    choices: tuple[str, ...] = ()
    minimum: Any = None
    maximum: Any = None
    optional: bool = False

    @property
    def section(self) -> str:
        return self.path[0]

    @property
    def help_text(self) -> str:
        """The help in the user's language (the English text is the msgid)."""
        from django.utils.translation import gettext

        return gettext(self.help) if self.help else ""

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.label_en if (get_language() or "").startswith("en") else self.label_zh


@dataclass(frozen=True)
class SectionInfo:
    key: str
    label_zh: str
    label_en: str
    seed: str
    clauses: tuple[Clause, ...]

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.label_en if (get_language() or "").startswith("en") else self.label_zh


def _is_section(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _strip_optional(annotation):
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _kind(annotation) -> tuple[str, tuple[str, ...]]:
    annotation, _ = _strip_optional(annotation)
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is Decimal:
        return "decimal", ()
    if annotation is str:
        return "text", ()
    if origin is Literal:
        return "choice", tuple(typing.get_args(annotation))
    if origin is list:
        (inner,) = typing.get_args(annotation)
        if typing.get_origin(inner) is Literal:
            return "multichoice", tuple(typing.get_args(inner))
    return "structured", ()


def _limits(info: FieldInfo):
    lo = hi = None
    metadata = list(info.metadata)
    annotation = info.annotation
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in typing.get_args(annotation)[1:]:
            metadata.extend(getattr(extra, "metadata", []))
    for m in metadata:
        if isinstance(m, Ge):
            lo = m.ge
        elif isinstance(m, Le):
            hi = m.le
        else:
            lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
            hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return lo, hi


def _walk(model: type[BaseModel], prefix: tuple[str, ...], meta_override: dict | None = None):
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        path = (*prefix, name)
        annotation = info.annotation
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if meta_override and name in meta_override:
            extra = meta_override[name]
        if extra.get("group") or (_is_section(annotation) and not extra.get("label_zh")):
            yield from _walk(annotation, path, APPROVALS_META if annotation.__name__ == "ApprovalsPolicy" else None)
            continue
        kind, choices = _kind(annotation)
        lo, hi = _limits(info)
        yield Clause(
            key=".".join(path),
            path=path,
            label_zh=str(extra.get("label_zh", "")),
            label_en=str(extra.get("label_en", "")),
            help=str(extra.get("help", "")),
            seed=str(extra.get("seed", "")),
            unit=str(extra.get("unit", "")),
            kind=kind,
            annotation=annotation,
            choices=choices,
            minimum=lo,
            maximum=hi,
            optional=_strip_optional(annotation)[1],
        )


@cache
def clauses() -> tuple[Clause, ...]:
    return tuple(_walk(Policy, ()))


@cache
def clause_map() -> dict[str, Clause]:
    return {c.key: c for c in clauses()}


@cache
def sections() -> tuple[SectionInfo, ...]:
    out = []
    for name, info in Policy.model_fields.items():
        extra = info.json_schema_extra or {}
        out.append(
            SectionInfo(
                key=name,
                label_zh=extra.get("label_zh", name),
                label_en=extra.get("label_en", name),
                seed=extra.get("seed", ""),
                clauses=tuple(c for c in clauses() if c.section == name),
            )
        )
    return tuple(out)


def get_path(data: Any, path: tuple[str, ...] | str):
    """The value at a clause key in a Policy object or its JSON dict."""
    if isinstance(path, str):
        path = tuple(path.split("."))
    value = data
    for part in path:
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


def set_path(data: dict, path: tuple[str, ...] | str, value) -> None:
    if isinstance(path, str):
        path = tuple(path.split("."))
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def flatten(data: dict) -> dict[str, Any]:
    """{clause key: JSON value} for a policy JSON dict (missing keys are skipped)."""
    out = {}
    for c in clauses():
        try:
            out[c.key] = get_path(data, c.path)
        except (KeyError, TypeError, AttributeError):
            continue
    return out


def clause_for_loc(loc: tuple) -> tuple[str, str]:
    """Maps a pydantic error location to (clause key, detail path inside the clause)."""
    parts = [str(p) for p in loc]
    known = clause_map()
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in known:
            rest = loc[n:]
            detail = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
            return key, detail
    return ".".join(parts), ""
