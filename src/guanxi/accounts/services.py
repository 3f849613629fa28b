"""Accounts and organisation: every write is one function here, atomic and audited.

Deactivation and role changes take effect on the very next request (F-ORG-3): access is computed
per request from positions (accounts.access), deactivation also ends every session at once and
revokes every API token.
"""

from __future__ import annotations

import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core import audit, context
from guanxi.core.errors import Conflict, DomainError

from .models import SCOPE_ORDER, ApiToken, OrgUnit, Position, Region, Role, User, UserSession

USER_FIELDS = ("full_name", "email", "employee_no", "mobile", "language", "first_name", "last_name")
UNIT_FIELDS = ("name", "code", "kind", "region", "is_active", "sort_order")
REGION_FIELDS = ("name", "code", "kind", "is_active")
ROLE_FIELDS = ("name", "name_en", "description", "permissions", "data_scope", "scope_overrides", "require_2fa", "is_active")
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _changes(obj, fields: dict) -> dict:
    """Applies `fields` to obj; returns {field: [old, new]} for the ones that changed (as str)."""
    changed = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [_plain(old), _plain(value)]
            setattr(obj, name, value)
    return changed


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password", code="weak_password") from exc


# ---------------------------------------------------------------- users


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None = None,
    full_name: str = "",
    email: str = "",
    employee_no: str = "",
    mobile: str = "",
    language: str = "zh-hans",
    first_name: str = "",
    last_name: str = "",
) -> User:
    username = (username or "").strip()
    if not username:
        raise DomainError(_("A username is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(_("This username is already taken."), field="username", code="duplicate")
    if language not in LANGUAGE_CODES:
        raise DomainError(_("Unknown language."), field="language")
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        employee_no=employee_no,
        mobile=mobile,
        language=language,
        first_name=first_name,
        last_name=last_name,
    )
    if password:
        _check_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record("user.created", subject=user, data={"username": username})
    return user


@transaction.atomic
def update_user(user: User, **fields) -> User:
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "language" in fields and fields["language"] not in LANGUAGE_CODES:
        raise DomainError(_("Unknown language."), field="language")
    changed = _changes(user, fields)
    if changed:
        user.save()
        audit.record("user.updated", subject=user, data={"changes": changed})
    return user


@transaction.atomic
def set_password(user: User, password: str, *, keep_session_key: str | None = None) -> User:
    """Sets a new password and ends the user's other sessions (all of them unless
    `keep_session_key` names the one the user is working in)."""
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = end_sessions(user, keep_session_key=keep_session_key)
    audit.record("user.password_changed", subject=user, data={"sessions_ended": ended})
    return user


def end_sessions(user: User, *, keep_session_key: str | None = None) -> int:
    """Deletes the user's sessions from the session store; returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = UserSession.objects.filter(user=user)
    if keep_session_key:
        rows = rows.exclude(session_key=keep_session_key)
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete(key)
    rows.delete()
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        # Sessions opened before tracking existed (or whose key changed) are found by content.
        from django.contrib.sessions.models import Session

        stale = []
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.session_key != keep_session_key and str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
                stale.append(session.session_key)
        if stale:
            Session.objects.filter(session_key__in=stale).delete()
            keys += stale
    return len(set(keys))


@transaction.atomic
def deactivate_user(user: User, *, reason: str = "") -> User:
    """Departure: the account stops working at once — every session ends, every API token is
    revoked (F-ORG-3). Positions are kept for the record."""
    if user.pk == context.current().actor_id:
        raise DomainError(_("You cannot deactivate your own account."), code="self")
    if not user.is_active:
        raise DomainError(_("This user is already deactivated."), code="inactive")
    now = timezone.now()
    user.is_active = False
    user.deactivated_at = now
    user.save(update_fields=["is_active", "deactivated_at"])
    sessions = end_sessions(user)
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    audit.record("user.deactivated", subject=user, data={"sessions_ended": sessions, "tokens_revoked": tokens, "reason": reason[:500]})
    return user


@transaction.atomic
def reactivate_user(user: User) -> User:
    if user.is_active:
        raise DomainError(_("This user is already active."), code="active")
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    audit.record("user.reactivated", subject=user)
    return user


# ---------------------------------------------------------------- positions


def _check_dates(valid_from, valid_until):
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError(_("The end date must not be before the start date."), field="valid_until")


@transaction.atomic
def assign_position(
    user: User, *, unit: OrgUnit, role: Role, reports_to: User | None = None, is_primary: bool = True, valid_from=None, valid_until=None
) -> Position:
    if reports_to is not None and reports_to.pk == user.pk:
        raise DomainError(_("A user cannot report to themselves."), field="reports_to")
    _check_dates(valid_from, valid_until)
    if Position.objects.filter(user=user, unit=unit, role=role).exists():
        raise Conflict(_("The user already holds this role in this unit."), field="role", code="duplicate")
    if is_primary:
        Position.objects.filter(user=user, is_primary=True).update(is_primary=False)
    try:
        with transaction.atomic():
            pos = Position.objects.create(
                user=user,
                unit=unit,
                role=role,
                reports_to=reports_to,
                is_primary=is_primary,
                valid_from=valid_from,
                valid_until=valid_until,
            )
    except IntegrityError as exc:
        raise Conflict(_("The user already holds this role in this unit."), field="role", code="duplicate") from exc
    audit.record(
        "user.position_added",
        subject=user,
        data={"position": pos.pk, "unit": unit.code, "role": role.code, "reports_to": reports_to.username if reports_to else None},
    )
    return pos


@transaction.atomic
def remove_position(position: Position) -> None:
    user = position.user
    data = {"position": position.pk, "unit": position.unit.code, "role": position.role.code}
    position.delete()
    audit.record("user.position_removed", subject=user, data=data)


@transaction.atomic
def change_role(position: Position, role: Role) -> Position:
    """Gives a position another role; effective on the user's very next request."""
    old = position.role
    if old.pk == role.pk:
        return position
    if Position.objects.filter(user_id=position.user_id, unit_id=position.unit_id, role=role).exclude(pk=position.pk).exists():
        raise Conflict(_("The user already holds this role in this unit."), field="role", code="duplicate")
    position.role = role
    position.save(update_fields=["role"])
    audit.record(
        "user.role_changed",
        subject=position.user,
        data={"position": position.pk, "unit": position.unit.code, "from": old.code, "to": role.code},
    )
    return position


@transaction.atomic
def update_position(position: Position, **fields) -> Position:
    allowed = {"reports_to", "is_primary", "valid_from", "valid_until"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "reports_to" in fields and fields["reports_to"] is not None and fields["reports_to"].pk == position.user_id:
        raise DomainError(_("A user cannot report to themselves."), field="reports_to")
    _check_dates(fields.get("valid_from", position.valid_from), fields.get("valid_until", position.valid_until))
    changed = _changes(position, fields)
    if changed:
        if fields.get("is_primary"):
            Position.objects.filter(user_id=position.user_id, is_primary=True).exclude(pk=position.pk).update(is_primary=False)
        position.save()
        audit.record("user.position_changed", subject=position.user, data={"position": position.pk, "changes": changed})
    return position


# ---------------------------------------------------------------- trees (units, regions)


def _check_parent(node, parent):
    if parent is None:
        return
    if node.pk is not None and (parent.pk == node.pk or parent.path.startswith(node.path)):
        raise DomainError(_("A node cannot be moved below itself or one of its descendants."), field="parent", code="cycle")
    if parent.depth >= 20:
        raise DomainError(_("The tree is too deep."), field="parent")


def _check_code(model, code: str, exclude_pk=None):
    if not code:
        raise DomainError(_("A code is required."), field="code")
    qs = model.objects.filter(code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise Conflict(_("This code is already used."), field="code", code="duplicate")


@transaction.atomic
def create_org_unit(
    *,
    name: str,
    code: str,
    kind: str,
    parent: OrgUnit | None = None,
    region: Region | None = None,
    sort_order: int = 0,
    is_active: bool = True,
) -> OrgUnit:
    _check_code(OrgUnit, code)
    unit = OrgUnit(name=name, code=code, kind=kind, parent=parent, region=region, sort_order=sort_order, is_active=is_active)
    unit.save()
    audit.record("orgunit.created", subject=unit, data={"code": code, "parent": parent.code if parent else None})
    return unit


def _update_node(node, fields: dict, allowed, event: str):
    """Units and regions are trees of the same shape: change the allowed fields, then move."""
    parent = fields.pop("parent", node.parent)
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "code" in fields:
        _check_code(type(node), fields["code"], exclude_pk=node.pk)
    changed = _changes(node, fields)
    if changed:
        node.save()
        audit.record(f"{event}.updated", subject=node, data={"changes": changed})
    if (parent.pk if parent else None) != node.parent_id:
        _move_node(node, parent, event)
    return node


def _move_node(node, new_parent, event: str):
    _check_parent(node, new_parent)
    old = node.parent
    node.parent = new_parent
    node.save()
    audit.record(f"{event}.moved", subject=node, data={"from": old.code if old else None, "to": new_parent.code if new_parent else None})
    return node


@transaction.atomic
def update_org_unit(unit: OrgUnit, **fields) -> OrgUnit:
    return _update_node(unit, fields, UNIT_FIELDS, "orgunit")


@transaction.atomic
def move_org_unit(unit: OrgUnit, new_parent: OrgUnit | None) -> OrgUnit:
    return _move_node(unit, new_parent, "orgunit")


@transaction.atomic
def create_region(*, name: str, code: str, kind: str, parent: Region | None = None, is_active: bool = True) -> Region:
    _check_code(Region, code)
    region = Region(name=name, code=code, kind=kind, parent=parent, is_active=is_active)
    region.save()
    audit.record("region.created", subject=region, data={"code": code, "parent": parent.code if parent else None})
    return region


@transaction.atomic
def update_region(region: Region, **fields) -> Region:
    return _update_node(region, fields, REGION_FIELDS, "region")


@transaction.atomic
def move_region(region: Region, new_parent: Region | None) -> Region:
    return _move_node(region, new_parent, "region")


# ---------------------------------------------------------------- roles


def validate_permissions(codes, *, already=()) -> list[str]:
    """Known codes only (core.permissions.all_permissions()); codes the role already holds are
    kept even if their app registers them later."""
    from guanxi.core.permissions import all_permissions

    if not isinstance(codes, list | tuple | set):
        raise DomainError(_("Permissions must be a list of codes."), field="permissions")
    known = set(all_permissions()) | set(already)
    codes = [str(c).strip() for c in codes if str(c).strip()]
    unknown = sorted(set(codes) - known)
    if unknown:
        raise DomainError(
            _("Unknown permission codes: %(codes)s") % {"codes": ", ".join(unknown)}, field="permissions", code="unknown_permission"
        )
    return sorted(set(codes))


def validate_scope_overrides(overrides) -> dict:
    from guanxi.core.querysets import SCOPED_MODELS

    if overrides in (None, ""):
        return {}
    if not isinstance(overrides, dict):
        raise DomainError(_('Scope per model must be an object such as {"accounts.user": "all"}.'), field="scope_overrides")
    labels = {m._meta.label_lower for m in SCOPED_MODELS}
    out = {}
    for label, level in overrides.items():
        label = str(label).strip().lower()
        if label not in labels:
            raise DomainError(_("Unknown model in scope per model: %(label)s") % {"label": label}, field="scope_overrides")
        if level not in SCOPE_ORDER:
            raise DomainError(_("Unknown data scope: %(level)s") % {"level": level}, field="scope_overrides")
        out[label] = level
    return out


def _check_scope(level):
    if level not in SCOPE_ORDER:
        raise DomainError(_("Unknown data scope: %(level)s") % {"level": level}, field="data_scope")


@transaction.atomic
def create_role(
    *,
    code: str,
    name: str,
    name_en: str = "",
    description: str = "",
    permissions=(),
    data_scope: str = "self",
    scope_overrides=None,
    require_2fa: bool = False,
    is_active: bool = True,
) -> Role:
    _check_code(Role, code)
    _check_scope(data_scope)
    role = Role.objects.create(
        code=code,
        name=name,
        name_en=name_en,
        description=description,
        permissions=validate_permissions(list(permissions)),
        data_scope=data_scope,
        scope_overrides=validate_scope_overrides(scope_overrides),
        require_2fa=require_2fa,
        is_active=is_active,
    )
    audit.record("role.created", subject=role, data={"code": code, "permissions": role.permissions, "data_scope": data_scope})
    return role


@transaction.atomic
def update_role(role: Role, **fields) -> Role:
    """Changes a role; every holder gets the new rights on their very next request."""
    unknown = set(fields) - set(ROLE_FIELDS)
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    old_perms = set(role.permissions or [])
    if "permissions" in fields:
        fields["permissions"] = validate_permissions(fields["permissions"], already=old_perms)
    if "scope_overrides" in fields:
        fields["scope_overrides"] = validate_scope_overrides(fields["scope_overrides"])
    if "data_scope" in fields:
        _check_scope(fields["data_scope"])
    new_perms = set(fields.get("permissions", old_perms))
    changed = _changes(role, fields)
    if changed:
        role.save()
        data = {"changes": {k: v for k, v in changed.items() if k != "permissions"}}
        if "permissions" in changed:
            data["added"] = sorted(new_perms - old_perms)
            data["removed"] = sorted(old_perms - new_perms)
        audit.record("role.updated", subject=role, data=data)
    return role


# ---------------------------------------------------------------- API tokens

TOKEN_PREFIX = "gx_"


@transaction.atomic
def create_api_token(user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """A personal API token. Returns (token, key): the key is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name."), field="name")
    if not user.is_active:
        raise DomainError(_("A deactivated user cannot hold API tokens."))
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(_("The expiry must be in the future."), field="expires_at")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:60], prefix=key[:8], key_hash=ApiToken.hash_key(key), expires_at=expires_at)
    audit.record("api_token.created", subject=user, data={"token": token.pk, "name": token.name, "prefix": token.prefix})
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("api_token.revoked", subject=token.user, data={"token": token.pk, "name": token.name, "prefix": token.prefix})
    return token
