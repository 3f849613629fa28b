"""The personal notification inbox: each user only ever sees their own notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.generic import paginate
from guanxi.core.next_url import same_site

from . import services
from .models import Notification

SHOW = ("all", "unread", "read")


def own(user, show: str = "all"):
    qs = Notification.objects.for_user(user)
    if show == "unread":
        return qs.unread().order_by("-created_at", "-id")
    if show == "read":
        return qs.filter(read_at__isnull=False).order_by("-created_at", "-id")
    # Unread first, then newest first.
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(unread_first, "-created_at", "-id")


@login_required
def notification_list(request):
    show = request.GET.get("show", "all")
    if show not in SHOW:
        show = "all"
    page = paginate(request, own(request.user, show), per_page=30)
    return render(
        request,
        "notifications/list.html",
        {
            "title": _("Notifications"),
            "page_obj": page,
            "notifications": page.object_list,
            "is_paginated": page.paginator.num_pages > 1,
            "paginator": page.paginator,
            "querystring": f"show={show}",
            "show": show,
            "unread": services.unread_count(request.user),
        },
    )


def _safe(request, url: str) -> str:
    return same_site(request, url)


@login_required
def open_notification(request, pk):
    """Marks the notification read and goes to what it is about (GET from the list and the bell)."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.mark_read(request.user, [notification.pk])
    return HttpResponseRedirect(_safe(request, notification.url) or reverse("notifications:list"))


@login_required
@require_POST
def mark_read(request, pk):
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    services.mark_read(request.user, [notification.pk])
    return HttpResponseRedirect(_safe(request, request.POST.get("next", "")) or reverse("notifications:list"))


@login_required
@require_POST
def mark_all_read(request):
    n = services.mark_read(request.user)
    messages.success(request, _("%(n)d notifications marked read.") % {"n": n})
    return HttpResponseRedirect(_safe(request, request.POST.get("next", "")) or reverse("notifications:list"))
