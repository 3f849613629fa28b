"""The policy (F-POL-1, F-POL-2): read the active version, explain a clause, propose a change,
activate or reject it through the approval engine, export and import YAML.

`current()` is the one way code reads a rule: `policy.current().pool.reclaim_after_days`. It
returns the validated, typed `Policy` of the active version, with `.version` set (0 = the
shipped default, when the database holds no version). The object is shared: treat it as
read-only.

Caching: each process memoises the validated policy per version number. Which number is active
is kept in the Django cache (a few seconds) and re-checked at most every
`GUANXI_POLICY_CHECK_SECONDS` (default 2); activating a version clears both, so the next request
of every process sees it (at once with a shared cache, within seconds with a local one).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from decimal import Decimal
from typing import Any

import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import BaseModel, ValidationError

from guanxi.core import audit
from guanxi.core.errors import Conflict, DomainError, NotAllowed

from .models import PolicyVersion, VersionStatus
from .schema import Policy, clause_for_loc, clause_map, default_policy, flatten, get_path
from .sources import cite

log = logging.getLogger(__name__)

ACTION = "policy.change"
CHANGE_PERMISSION = "policy.change_policyversion"
VIEW_PERMISSION = "policy.view_policyversion"
CACHE_KEY = "guanxi:policy:active-number"
CACHE_SECONDS = 5
MAX_YAML_BYTES = 1024 * 1024


# --- errors ---------------------------------------------------------------------------------


class PolicyInvalid(DomainError):
    """The policy data does not validate. `errors` maps each clause key to its messages; the
    empty key holds errors not tied to one clause (e.g. a YAML syntax error)."""

    def __init__(self, errors: dict[str, list[str]]):
        count = sum(len(v) for v in errors.values())
        message = ngettext(
            "The policy has %(count)d error; nothing was saved.", "The policy has %(count)d errors; nothing was saved.", count
        ) % {"count": count}
        super().__init__(message, code="invalid_policy", params={"errors": errors})
        self.errors = errors


def _error_message(err: dict, clause) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    last = str(err["loc"][-1]) if err.get("loc") else ""
    is_percent = (clause is not None and clause.unit == "percent" and len(err["loc"]) == len(clause.path)) or "percent" in last
    if kind == "missing":
        return _("This value is required.")
    if kind == "extra_forbidden":
        return _("Unknown key: it is not part of the policy.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("decimal_type", "decimal_parsing", "float_type", "float_parsing", "finite_number"):
        return _("Enter a number.")
    if kind == "decimal_max_places":
        return _("Use at most %(places)s decimal places.") % {"places": ctx.get("decimal_places")}
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("The number is too large.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Enter yes or no (true or false).")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if is_percent:
            return _("A percentage must be between 0 and 100.")
        if kind in ("greater_than_equal", "greater_than") and str(ctx.get("ge", ctx.get("gt"))) == "0":
            return _("Must not be negative.")
        if kind == "greater_than_equal":
            return _("Must be at least %(limit)s.") % {"limit": ctx.get("ge")}
        if kind == "less_than_equal":
            return _("Must be at most %(limit)s.") % {"limit": ctx.get("le")}
        return err.get("msg", "")
    if kind == "literal_error":
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "string_pattern_mismatch":
        return _("Use letters, digits, “_” or “-” only.")
    if kind == "string_too_long":
        return _("Use at most %(count)s characters.") % {"count": ctx.get("max_length")}
    if kind in ("string_too_short", "too_short"):
        return _("Give at least %(count)s.") % {"count": ctx.get("min_length")}
    if kind == "string_type":
        return _("Enter text.")
    if kind == "list_type":
        return _("Enter a list.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Enter a mapping of keys to values.")
    if kind == "value_error":
        return str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
    return err.get("msg", "")


def errors_by_key(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic errors grouped by clause key, each message clear and translated; an error
    inside a nested clause (a grading level, a tier) names the place inside it."""
    known = clause_map()
    out: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False):
        key, detail = clause_for_loc(tuple(err["loc"]))
        message = _error_message(err, known.get(key))
        if detail:
            message = f"{detail}: {message}"
        messages = out.setdefault(key, [])
        if message not in messages:
            messages.append(message)
    return out


def validate(data: Any) -> Policy:
    """A typed Policy from JSON-like data, or PolicyInvalid with every error by clause key."""
    if isinstance(data, Policy):
        data = data.model_dump(mode="json")
    if not isinstance(data, dict):
        raise PolicyInvalid({"": [_("The policy must be a mapping of sections to their clauses.")]})
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyInvalid(errors_by_key(exc)) from None


def to_json(policy: Policy) -> dict:
    return policy.model_dump(mode="json")


# --- reading --------------------------------------------------------------------------------

_lock = threading.Lock()
_memo: dict[str, Any] = {"number": None, "policy": None, "checked": 0.0}


def _check_seconds() -> float:
    return float(getattr(settings, "GUANXI_POLICY_CHECK_SECONDS", 2))


def active_number() -> int:
    """Number of the active version (0 when the database holds none), cached for a few seconds."""
    number = cache.get(CACHE_KEY)
    if number is None:
        number = PolicyVersion.objects.filter(status=VersionStatus.ACTIVE).values_list("number", flat=True).first() or 0
        cache.set(CACHE_KEY, number, CACHE_SECONDS)
    return number


def load(number: int) -> Policy:
    """The validated policy of version `number` (0 = the shipped default)."""
    if not number:
        return default_policy()
    data = PolicyVersion.objects.filter(number=number).values_list("data", flat=True).first()
    if data is None:
        raise PolicyVersion.DoesNotExist(number)
    return Policy.model_validate(data).with_version(number)


def current() -> Policy:
    """The active policy, typed and validated, with `.version`."""
    now = time.monotonic()
    memo = _memo
    if memo["policy"] is not None and now - memo["checked"] < _check_seconds():
        return memo["policy"]
    number = active_number()
    if memo["policy"] is not None and memo["number"] == number:
        memo["checked"] = now
        return memo["policy"]
    try:
        policy = load(number)
    except (ValidationError, PolicyVersion.DoesNotExist):
        # Never take the site down over the policy: log loudly and run on the shipped default.
        log.exception("Policy version %s cannot be loaded; using the shipped default", number)
        policy = default_policy()
    with _lock:
        _memo.update(number=number, policy=policy, checked=now)
    return policy


def given_or_current(policy: Policy | None = None) -> Policy:
    """`policy` when the caller pins one (a run, a test), else the active one. `current` is looked
    up at call time, so a test that replaces it is obeyed."""
    return policy if policy is not None else current()


def reset_cache() -> None:
    """Forget the cached policy in this process and the shared cache (tests, activation)."""
    with _lock:
        _memo.update(number=None, policy=None, checked=0.0)
    cache.delete(CACHE_KEY)


def explain(key: str, policy: Policy | None = None) -> dict:
    """What a clause says: its value, labels, help, unit, seed (and the source it names, by the
    documents' titles) and the policy version.

    `key` is a clause key (`pool.reclaim_after_days`) or a path into a structured clause, items
    of a list picked by their code or position: `grading.schemes.vip.levels.vip.quota_percent`.
    """
    policy = policy or current()
    known = clause_map()
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        clause = known.get(".".join(parts[:n]))
        if clause is not None:
            break
    else:
        raise DomainError(_("“%(key)s” is not a clause of the policy.") % {"key": key}, code="unknown_clause")
    value: Any = get_path(policy, clause.path)
    for part in parts[n:]:
        value = _step_into(value, part, key)
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    elif isinstance(value, dict):
        value = {k: v.model_dump(mode="json") if hasattr(v, "model_dump") else v for k, v in value.items()}
    return {
        "key": key,
        "clause": clause.key,
        "value": value,
        "label": clause.label,
        "label_zh": clause.label_zh,
        "label_en": clause.label_en,
        "help": clause.help_text,
        "unit": clause.unit,
        "seed": clause.seed,
        "source": cite(clause.seed),
        "version": policy.version,
    }


def _step_into(value, part: str, key: str):
    if isinstance(value, list):
        for item in value:
            if getattr(item, "code", None) == part:
                return item
        if part.isdigit() and int(part) < len(value):
            return value[int(part)]
    elif isinstance(value, dict):
        if part in value:
            return value[part]
    elif isinstance(value, BaseModel) and part in type(value).model_fields:
        return getattr(value, part)
    raise DomainError(_("“%(key)s” is not a clause of the policy.") % {"key": key}, code="unknown_clause")


# --- changes --------------------------------------------------------------------------------


def diff(old: dict, new: dict) -> list[dict]:
    """[{key, old, new}] for every clause whose value differs (JSON values)."""
    a, b = flatten(old), flatten(new)
    return [{"key": key, "old": a.get(key), "new": b.get(key)} for key in b.keys() | a.keys() if a.get(key) != b.get(key)]


def _sorted_diff(changes: list[dict]) -> list[dict]:
    order = {c.key: i for i, c in enumerate(clause_map().values())}
    return sorted(changes, key=lambda ch: (order.get(ch["key"], 10**6), ch["key"]))


def merge(base: dict, partial: dict, _prefix: tuple[str, ...] = ()) -> dict:
    """`partial` laid over `base`: sections and groups merge key by key; a clause's value —
    including mappings keyed by data, such as grade codes — replaces the old one whole."""
    known = clause_map()
    out = copy.deepcopy(base)
    for key, value in partial.items():
        path = (*_prefix, str(key))
        if isinstance(value, dict) and isinstance(out.get(key), dict) and ".".join(path) not in known:
            out[key] = merge(out[key], value, path)
        else:
            out[key] = copy.deepcopy(value)
    return out


def active_version() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(status=VersionStatus.ACTIVE).first()


def pending_version() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(status=VersionStatus.PENDING).order_by("-number").first()


def _can_change(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.has_perm(CHANGE_PERMISSION)


def check_proposal(data_or_partial: Any, base: PolicyVersion | None = None) -> tuple[Policy, list[dict]]:
    """Validates a proposal against `base` (the active version): (typed policy, diff). Raises
    PolicyInvalid listing every error, or DomainError when nothing changes."""
    base_policy = load(base.number) if base is not None else default_policy()
    base_json = to_json(base_policy)
    if isinstance(data_or_partial, Policy):
        data = to_json(data_or_partial)
    elif isinstance(data_or_partial, dict):
        data = merge(base_json, data_or_partial)
    else:
        raise PolicyInvalid({"": [_("The policy must be a mapping of sections to their clauses.")]})
    policy = validate(data)
    changes = _sorted_diff(diff(base_json, to_json(policy)))
    return policy, changes


@transaction.atomic
def ensure_default(*, model=None) -> PolicyVersion | None:
    """Creates version 1 — the shipped default — as the active version if the database holds no
    version at all. Idempotent; returns the new version or None."""
    model = model or PolicyVersion
    if model.objects.exists():
        return None
    now = timezone.now()
    version = model.objects.create(
        number=1,
        data=default_policy().model_dump(mode="json"),
        status=VersionStatus.ACTIVE,
        comment="出厂默认制度（数值取自各制度原文）。",  # stored data, in the company's language
        created_at=now,
        activated_at=now,
    )
    if model is PolicyVersion:
        audit.record("policy.activated", subject=version, data={"version": 1, "previous": None, "diff": [], "default": True})
        _invalidate()
    return version


@transaction.atomic
def propose_change(user, data_or_partial: Any, comment: str = "") -> PolicyVersion:
    """Stores a new pending version (full data or a partial change laid over the active one)
    with its diff, and submits it for approval (`policy.change`, the general manager by
    default). Raises PolicyInvalid with every error by clause key; nothing is saved then."""
    if not _can_change(user):
        raise NotAllowed(_("You may not change the policy."))
    ensure_default()
    base = PolicyVersion.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
    waiting = pending_version()
    if waiting is not None:
        raise Conflict(
            _("Version %(number)s is already waiting for approval. Wait for its decision or withdraw it first.")
            % {"number": waiting.number},
            code="pending_exists",
        )
    policy, changes = check_proposal(data_or_partial, base)
    if not changes:
        raise DomainError(_("The proposal changes nothing: every clause has its current value."), code="no_change")
    number = (PolicyVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    comment = (comment or "").strip()
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                number=number,
                data=to_json(policy),
                status=VersionStatus.PENDING,
                base=base,
                diff=changes,
                comment=comment,
                created_by=user,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict(_("Someone proposed another change at the same moment. Please try again."), code="concurrent") from exc
    audit.record(
        "policy.proposed",
        subject=version,
        actor=user,
        data={"version": number, "base": base.number if base else None, "diff": changes, "comment": comment},
    )

    from guanxi.approvals import services as approvals

    title = _("Policy change: version %(number)s") % {"number": number}
    request = approvals.submit(
        ACTION, target=version, requester=user, title=title, payload={"version": number, "comment": comment, "changes": len(changes)}
    )
    version.approval_request_id = request.pk
    version.save(update_fields=["approval_request_id"])
    return version


def _invalidate() -> None:
    reset_cache()
    transaction.on_commit(reset_cache)


@transaction.atomic
def activate(version: PolicyVersion | int, *, approved_by=None) -> PolicyVersion:
    """Makes a pending version the active one (the previous active one is superseded). Runs
    once: activating the version again does nothing."""
    pk = version.pk if isinstance(version, PolicyVersion) else version
    version = PolicyVersion.objects.select_for_update().get(pk=pk)
    if version.status == VersionStatus.ACTIVE:
        return version
    if version.status != VersionStatus.PENDING:
        raise Conflict(
            _("Version %(number)s cannot be activated: it is %(status)s.")
            % {"number": version.number, "status": version.get_status_display()}
        )
    previous = PolicyVersion.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
    if previous is not None and version.base_id is not None and previous.pk != version.base_id:
        raise Conflict(
            _("The policy changed after version %(number)s was proposed; propose the change again on the current version.")
            % {"number": version.number},
            code="stale",
        )
    validate(version.data)  # never activate data that no longer validates
    now = timezone.now()
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = VersionStatus.ACTIVE
    version.activated_at = now
    version.approved_by = approved_by
    version.save(update_fields=["status", "activated_at", "approved_by"])
    audit.record(
        "policy.activated",
        subject=version,
        actor=approved_by,
        data={"version": version.number, "previous": previous.number if previous else None, "diff": version.diff},
    )
    _invalidate()
    return version


@transaction.atomic
def discard(version: PolicyVersion | int, *, by=None, reason: str = "", event: str = "policy.rejected") -> PolicyVersion:
    """A pending version that will not become active (rejected or withdrawn)."""
    pk = version.pk if isinstance(version, PolicyVersion) else version
    version = PolicyVersion.objects.select_for_update().get(pk=pk)
    if version.status != VersionStatus.PENDING:
        return version
    version.status = VersionStatus.REJECTED
    version.save(update_fields=["status"])
    audit.record(event, subject=version, actor=by, data={"version": version.number, "reason": reason})
    return version


# Handlers for the approval engine (registered in apps.PolicyConfig.ready()).


def _version_of(request) -> PolicyVersion:
    return PolicyVersion.objects.get(pk=int(request.object_id))


def apply_approved(request) -> None:
    activate(_version_of(request), approved_by=request.decided_by)


def reject_approval(request) -> None:
    discard(_version_of(request), by=request.decided_by, event="policy.rejected")


def cancel_approval(request) -> None:
    discard(_version_of(request), by=request.requester, event="policy.withdrawn")


def describe_approval(request) -> str:
    version = PolicyVersion.objects.filter(pk=int(request.object_id)).first()
    if version is None:
        return ""
    lines = [f"{ch['key']}: {_short(ch['old'])} → {_short(ch['new'])}" for ch in version.diff]
    return "\n".join(lines)


def _short(value) -> str:
    text = (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10**6).strip()
        if isinstance(value, list | dict)
        else str(value)
    )
    return text if len(text) <= 120 else text[:117] + "…"


# --- YAML -----------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _decimal_representer(dumper, value: Decimal):
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value, "f"))


_Dumper.add_representer(Decimal, _decimal_representer)


def dump_yaml(value) -> str:
    """YAML text of a value (decimals as plain numbers, Chinese kept readable)."""
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def export_yaml(version: PolicyVersion | int | None = None) -> str:
    """The policy of a version (the current one by default) as YAML, clause keys as written in
    the schema; money and rates as plain numbers."""
    if version is None:
        policy = current()
    else:
        number = version.number if isinstance(version, PolicyVersion) else int(version)
        policy = load(number)
    header = (
        f"# Guanxi policy, version {policy.version}\n"
        "# Import this file (edited) on the policy page to propose a change; it then needs approval.\n"
    )
    body = dump_yaml(policy.model_dump(mode="python"))
    return header + body


def export_for(user, version: PolicyVersion | int | None = None) -> str:
    """export_yaml() for a user's download, logged (F-SEC-2)."""
    text = export_yaml(version)
    number = version.number if isinstance(version, PolicyVersion) else (version if version is not None else current().version)
    audit.record("policy.exported", actor=user, data={"version": number, "format": "yaml"})
    return text


def parse_yaml(text: str | bytes) -> dict:
    """The mapping in a YAML document, or PolicyInvalid saying why it cannot be read."""
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            raise PolicyInvalid({"": [_("The file is too large (at most 1 MB).")]})
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PolicyInvalid({"": [_("The file is not UTF-8 text.")]}) from None
    if len(text) > MAX_YAML_BYTES:
        raise PolicyInvalid({"": [_("The file is too large (at most 1 MB).")]})
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        if where is not None:
            msg = _("The file is not valid YAML (line %(line)s, column %(column)s).") % {"line": where.line + 1, "column": where.column + 1}
        else:
            msg = _("The file is not valid YAML.")
        raise PolicyInvalid({"": [msg]}) from None
    if not isinstance(data, dict):
        raise PolicyInvalid({"": [_("The policy must be a mapping of sections to their clauses.")]})
    data.pop("version", None)  # informational; the number is given on approval
    return data


def import_yaml(user, text: str | bytes, comment: str = "") -> PolicyVersion:
    """Proposes the policy in a YAML document as a change (needs approval). Every error is
    listed by clause key and nothing is saved when the document does not validate."""
    if not _can_change(user):
        raise NotAllowed(_("You may not change the policy."))
    data = parse_yaml(text)
    # A document with every section is the whole policy; otherwise it changes what it names.
    return propose_change(user, data, comment or _("Imported from YAML."))
