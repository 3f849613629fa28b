"""Inbox and detail pages of the approval engine; decisions go through services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core import audit
from guanxi.core.errors import DomainError

from . import queries, registry, services
from .models import RequestStatus

PAGE_SIZE = 25


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=gettext_lazy("Required when you reject."),
    )


@login_required
def inbox(request):
    tab = request.GET.get("tab", "waiting")
    if tab not in queries.TABS:
        tab = "waiting"
    status = request.GET.get("status", "")
    action = request.GET.get("action", "")
    qs = queries.inbox(request.user, tab, status=status, action=action)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    tab_query.pop("tab", None)
    return render(
        request,
        "approvals/inbox.html",
        {
            "tab": tab,
            "tabs": [
                ("waiting", _("Waiting for me")),
                ("mine", _("My requests")),
                ("all", _("All I can see")),
            ],
            "counts": queries.counts(request.user),
            "page_obj": page,
            "requests": page.object_list,
            "status": status,
            "action": action,
            "status_choices": RequestStatus.choices,
            "action_choices": queries.action_choices(request.user),
            "querystring": query.urlencode(),
            "filter_querystring": tab_query.urlencode(),
        },
    )


def _visible_or_404(request, pk):
    """Out of scope → 404; a user whose roles grant no view permission and who is not
    involved in the request → 403."""
    try:
        return get_object_or_404(queries.with_steps(queries.visible(request.user)), pk=pk)
    except Http404:
        if not queries.may_browse(request.user):
            raise PermissionDenied from None
        raise


def _summary(request, req) -> str:
    entry = registry.get(req.action)
    target = req.target
    if entry is not None and entry.summary_template:
        return render_to_string(entry.summary_template, {"approval": req, "target": target, "payload": req.payload}, request=request)
    if entry is not None and entry.describe is not None:
        return render_to_string("approvals/_describe.html", {"text": entry.describe(req)}, request=request)
    return render_to_string("approvals/_payload_table.html", {"payload": req.payload}, request=request)


def _policy_url() -> str | None:
    try:
        return reverse("policy:detail")
    except NoReverseMatch:
        return None


def _detail(request, req, form=None, status=200):
    target = req.target
    target_url = None
    if target is not None and hasattr(target, "get_absolute_url"):
        try:
            target_url = target.get_absolute_url()
        except (NoReverseMatch, AttributeError):
            target_url = None
    return render(
        request,
        "approvals/detail.html",
        {
            "approval": req,
            "steps": list(req.steps.all()),
            "can": queries.permissions_for(req, request.user),
            "form": form or DecisionForm(),
            "summary": _summary(request, req),
            "action_label": registry.label_for(req.action),
            "target": target,
            "target_url": target_url,
            "policy_url": _policy_url(),
            "flow_now": queries.policy_flow(req),
            "events": audit.events_for(req).select_related("actor")[:50],
        },
        status=status,
    )


@login_required
def detail(request, pk):
    return _detail(request, _visible_or_404(request, pk))


def _decide(request, pk, verb):
    req = _visible_or_404(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, req, form=form, status=400)
    comment = form.cleaned_data["comment"]
    try:
        if verb == "approve":
            services.approve(req, request.user, comment)
            messages.success(request, _("You approved the request."))
        else:
            services.reject(req, request.user, comment)
            messages.success(request, _("You rejected the request."))
    except DomainError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, str(exc))
        else:
            form.add_error(None, str(exc))
        return _detail(request, _visible_or_404(request, pk), form=form, status=exc.status)
    return redirect("approvals:detail", pk=req.pk)


@login_required
@require_POST
def approve(request, pk):
    return _decide(request, pk, "approve")


@login_required
@require_POST
def reject(request, pk):
    return _decide(request, pk, "reject")


@login_required
@require_POST
def cancel(request, pk):
    req = _visible_or_404(request, pk)
    try:
        services.cancel(req, request.user)
    except DomainError as exc:
        form = DecisionForm()
        form.add_error(None, str(exc))
        return _detail(request, _visible_or_404(request, pk), form=form, status=exc.status)
    messages.success(request, _("You withdrew the request."))
    return redirect("approvals:detail", pk=req.pk)
