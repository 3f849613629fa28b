"""Sending and reading notifications. Other apps call `notify()`; it never fails their action
for an empty recipient list."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from guanxi.core import cache_versions

from .models import Notification


@transaction.atomic
def notify(recipients: Iterable, *, kind: str, title: str, body: str = "", url: str = "", subject=None) -> int:
    """One notification per distinct active recipient; returns how many were written.
    `title` and `body` are stored as given (already in words, e.g. with names filled in)."""
    users = {u.pk: u for u in recipients if u is not None and getattr(u, "is_active", True)}
    if not users:
        return 0
    subject_type = ContentType.objects.get_for_model(subject) if subject is not None else None
    subject_id = str(subject.pk) if subject is not None else ""
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient_id=pk,
            kind=kind,
            title=str(title)[:200],
            body=str(body),
            url=url[:300],
            subject_type=subject_type,
            subject_id=subject_id,
            created_at=now,
        )
        for pk in users
    )
    _forget_counts(users)
    return len(users)


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Marks the user's own notifications read (all unread ones when `ids` is None)."""
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    marked = qs.update(read_at=timezone.now())
    _forget_counts([user.pk])
    return marked


# The bell shows the unread count on every page: kept in the cache and forgotten whenever a
# notification is written or read (now, and again at commit for requests that read in between).
COUNT_TTL = 300


def unread_count_key(user_id: int) -> str:
    return f"guanxi:unread:{user_id}"


def _forget_counts(user_ids) -> None:
    cache_versions.forget(unread_count_key(pk) for pk in user_ids)


def unread_count(user) -> int:
    key = unread_count_key(user.pk)
    count = cache_versions.read_along(key)  # read with the signed-in user (NotificationsConfig.ready)
    if count is None:
        count = cache.get(key)
    if count is None:
        count = Notification.objects.for_user(user).unread().count()
        cache.set(key, count, COUNT_TTL)
    return count
