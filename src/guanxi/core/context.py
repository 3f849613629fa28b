"""Who is acting, and from where, for the current request, task or command.

History rows and audit events read this instead of being handed a request, so the same
service records the same facts whether the web, the API, a Celery task or a management command
called it. A ContextVar keeps concurrent requests (threads) and tasks apart.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ActingContext:
    source: str = "shell"  # web | api | task | command | shell
    actor_id: int | None = None
    ip: str | None = None
    request_id: str = ""
    task_id: str = ""
    name: str = ""  # view, task or command name


# The default is a frozen (immutable) dataclass, so sharing it is safe.
_current: ContextVar[ActingContext] = ContextVar("guanxi_acting_context", default=ActingContext())  # noqa: B039


def current() -> ActingContext:
    return _current.get()


def _set(ctx: ActingContext) -> ActingContext:
    _current.set(ctx)
    return ctx


def begin_request(*, ip: str | None, request_id: str | None = None, source: str = "web") -> ActingContext:
    return _set(ActingContext(source=source, ip=ip, request_id=request_id or uuid.uuid4().hex))


def begin_task(*, task_id: str | None, name: str = "", actor_id: int | None = None) -> ActingContext:
    return _set(ActingContext(source="task", task_id=task_id or uuid.uuid4().hex, name=name, actor_id=actor_id))


def begin_command(name: str) -> ActingContext:
    return _set(ActingContext(source="command", task_id=uuid.uuid4().hex, name=name))


def set_actor(actor_id: int | None) -> ActingContext:
    return _set(replace(current(), actor_id=actor_id))


def set_source(source: str) -> ActingContext:
    return _set(replace(current(), source=source))


def end() -> None:
    _current.set(ActingContext())
