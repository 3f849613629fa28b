"""Sending and reading notifications. Other apps call `notify()`; it never fails their action
for an empty recipient list."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

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
    return len(users)


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Marks the user's own notifications read (all unread ones when `ids` is None)."""
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()
