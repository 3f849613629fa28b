"""Policy pages: read the policy (every clause with key, value, unit and seed), edit a section,
version history with diffs, YAML export and import. Changes go through policy.services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from guanxi.core.errors import DomainError

from . import queries, services
from .forms import UNIT_LABELS, ImportForm, SectionForm, choice_label
from .models import PolicyVersion
from .schema import get_path, sections


def require_perm(code: str):
    def deco(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(code):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return deco


def approval_url(version: PolicyVersion | None) -> str | None:
    if version is None or not version.approval_request_id:
        return None
    try:
        return reverse("approvals:detail", args=[version.approval_request_id])
    except NoReverseMatch:
        return None


def _as_table(value):
    """A list of flat records (cadences, follow-up points…) reads better as a table than YAML."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    if not isinstance(value, list) or not value:
        return None
    rows = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    if not all(isinstance(r, dict) and all(not isinstance(x, dict | list) for x in r.values()) for r in rows):
        return None
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return {"columns": columns, "rows": [["—" if r.get(c) is None else r.get(c) for c in columns] for r in rows]}


def _display(clause, value):
    """(text, is_block) for a clause value on the read-only page."""
    if clause.kind == "bool":
        return (_("Yes") if value else _("No")), False
    if clause.kind == "multichoice":
        return "、".join(choice_label(v) for v in value), False
    if clause.kind == "choice":
        return choice_label(value), False
    if clause.kind == "decimal":
        return format(value, "f"), False
    if clause.kind == "structured":
        table = _as_table(value)
        return (table, "table") if table else (SectionForm._initial(clause, value), True)
    return ("—" if value is None else str(value)), False


def _base_context(request):
    pending = services.pending_version()
    return {
        "pending": pending,
        "pending_approval_url": approval_url(pending),
        "can_change": request.user.has_perm(services.CHANGE_PERMISSION),
    }


@require_perm(services.VIEW_PERMISSION)
def detail(request):
    number = request.GET.get("version")
    if number:
        if not number.isdigit():
            raise Http404
        version = get_object_or_404(queries.versions(request.user), number=int(number))
        try:
            policy = services.load(version.number)
        except Exception:
            messages.error(request, _("This version no longer matches the policy schema and cannot be shown."))
            return redirect("policy:history")
    else:
        policy = services.current()
        version = PolicyVersion.objects.filter(number=policy.version).first() if policy.version else None
    groups = []
    for section in sections():
        rows = []
        for clause in section.clauses:
            text, block = _display(clause, get_path(policy, clause.path))
            rows.append({"clause": clause, "value": text, "block": block, "unit": UNIT_LABELS.get(clause.unit, clause.unit)})
        groups.append({"section": section, "rows": rows})
    ctx = _base_context(request) | {"policy": policy, "version": version, "groups": groups, "title": _("Policy")}
    return render(request, "policy/detail.html", ctx)


@require_perm(services.CHANGE_PERMISSION)
def edit(request):
    keys = [s.key for s in sections()]
    section = request.GET.get("section") or request.POST.get("section") or keys[0]
    if section not in keys:
        raise Http404
    policy = services.current()
    form = SectionForm(request.POST or None, section=section, policy=policy)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = services.propose_change(request.user, {section: form.partial()[section]}, form.cleaned_data.get("comment", ""))
            except services.PolicyInvalid as exc:
                form.add_policy_errors(exc.errors)
                messages.error(request, str(exc))
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Version %(number)s was proposed and is waiting for approval.") % {"number": version.number})
                return redirect("policy:version", number=version.number)
        status = 400
    ctx = _base_context(request) | {
        "form": form,
        "section": form.section,
        "sections": sections(),
        "policy": policy,
        "title": _("Edit the policy"),
    }
    return render(request, "policy/edit.html", ctx, status=status)


@require_perm(services.VIEW_PERMISSION)
def history(request):
    page = Paginator(queries.versions(request.user).select_related("created_by", "approved_by"), 20).get_page(request.GET.get("page"))
    ctx = _base_context(request) | {"page_obj": page, "versions": page.object_list, "title": _("Policy history")}
    return render(request, "policy/history.html", ctx)


@require_perm(services.VIEW_PERMISSION)
def version_detail(request, number: int):
    version = get_object_or_404(queries.versions(request.user).select_related("created_by", "approved_by", "base"), number=number)
    ctx = _base_context(request) | {
        "version": version,
        "changes": queries.diff_rows(version.diff),
        "approval_url": approval_url(version),
        "title": _("Policy version %(number)s") % {"number": version.number},
    }
    return render(request, "policy/version.html", ctx)


@require_perm(services.VIEW_PERMISSION)
def export(request):
    number = request.GET.get("version")
    if number and not number.isdigit():
        raise Http404
    if number:
        get_object_or_404(queries.versions(request.user), number=int(number))
    text = services.export_for(request.user, int(number) if number else None)
    version = number or services.current().version
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="guanxi-policy-v{version}.yaml"'
    return response


@require_perm(services.CHANGE_PERMISSION)
def import_view(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                version = services.import_yaml(request.user, form.cleaned_data["content"], form.cleaned_data.get("comment", ""))
            except services.PolicyInvalid as exc:
                errors = exc.errors
                form.add_error(None, str(exc))
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Version %(number)s was proposed and is waiting for approval.") % {"number": version.number})
                return redirect("policy:version", number=version.number)
        status = 400
    ctx = _base_context(request) | {"form": form, "errors": queries.error_rows(errors), "title": _("Import the policy")}
    return render(request, "policy/import.html", ctx, status=status)
