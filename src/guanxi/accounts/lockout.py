"""Sign-in lockout by the policy (F-ORG-4, seed 001 §3.2): django-axes asks these for the
number of failures that locks (`security.lockout_failures`) and for the window that counts them
and the time the lock lasts (`security.lockout_window_minutes`), so an administrator's change
to the policy applies to the next attempt."""

from __future__ import annotations

from datetime import timedelta


def _security():
    from guanxi.policy.services import current

    return current().security


def failure_limit(request, credentials) -> int:
    return _security().lockout_failures


def cool_off(request=None) -> timedelta:
    return timedelta(minutes=_security().lockout_window_minutes)


def minutes() -> int:
    return _security().lockout_window_minutes
