"""Duplicate check, archive findings and merge pages (F-CUS-6).

- `customers:duplicate_check` (GET, HTMX fragment): the live check on the create/edit form. It
  searches the whole database; a hit outside the user's scope shows only its name and owner,
  a hit inside it also links to the record.
- `customers:duplicates`: the archive findings of the monthly scan (duplicates, fictitious-looking
  and mis-assigned records) within the user's customer scope; a button runs the scan now.
- `customers:merge` (?keep=&remove=): both records side by side, choose per field, confirm.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanxi.core.errors import DomainError

from . import duplicates, merge
from .models import Customer, DuplicateFinding, FindingKind

CHECK_PERMS = ("customers.add_customer", "customers.change_customer")
FINDINGS_PERMS = ("customers.merge_customer", "customers.archive_customer")
REASON_LABELS = {
    "credit_code": gettext_lazy("same credit code"),
    "phone": gettext_lazy("same phone number"),
    "name": gettext_lazy("same name"),
    "test_name": gettext_lazy("test or made-up name"),
    "no_contact": gettext_lazy("no contact and no phone"),
    "invalid_credit_code": gettext_lazy("invalid credit code"),
    "owner_inactive": gettext_lazy("owner deactivated"),
    "owner_outside_unit": gettext_lazy("owner not in the owning unit"),
}


def _require_any(user, codes) -> None:
    if not any(user.has_perm(c) for c in codes):
        raise PermissionDenied


def _in_scope(user, ids) -> set[int]:
    ids = [i for i in ids if i]
    if not ids:
        return set()
    return set(Customer.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True))


def _detail_url(pk) -> str:
    try:
        return reverse("customers:detail", args=[pk])
    except NoReverseMatch:
        return ""


def _contacts_from(params) -> list[dict]:
    """Numbers typed into inline contact rows (any field named …mobile or …phone)."""
    out = []
    for key, value in params.items():
        if not value or key in ("phone", "mobile"):
            continue
        low = key.lower()
        if low.endswith("mobile"):
            out.append({"mobile": value[:40]})
        elif low.endswith("phone"):
            out.append({"phone": value[:40]})
    return out[:50]


@login_required
@require_GET
def duplicate_check(request):
    _require_any(request.user, CHECK_PERMS)
    params = request.GET
    data = {k: params.get(k, "")[:200] for k in ("name", "credit_code", "phone", "mobile")}
    exclude = params.get("exclude") or params.get("pk") or None
    try:
        exclude = int(exclude) if exclude else None
    except ValueError:
        exclude = None
    hits = duplicates.find_duplicates(data, exclude_pk=exclude, contacts=_contacts_from(params))
    visible = _in_scope(request.user, [h.id for h in hits])
    rows = [{"hit": h, "url": _detail_url(h.id) if h.id in visible else ""} for h in hits]
    return render(request, "customers/duplicates/_check.html", {"rows": rows, "checked": any(data.values())})


def _finding_rows(user, findings) -> list[dict]:
    ids = {c.pk for f in findings for c in f.customers.all()}
    visible = _in_scope(user, ids)
    rows = []
    for f in findings:
        customers = [
            {
                "id": c.pk,
                "name": c.name,
                "owner": str(c.owner) if c.owner_id else "",
                "url": _detail_url(c.pk) if c.pk in visible else "",
                "merged": bool(c.merged_into_id),
                "in_scope": c.pk in visible,
            }
            for c in f.customers.all()
        ]
        live_visible = [c for c in customers if c["in_scope"] and not c["merged"]]
        merge_url = ""
        if f.kind == FindingKind.DUPLICATE and f.resolved_at is None and len(live_visible) >= 2 and user.has_perm(merge.PERMISSION):
            merge_url = f"{reverse('customers:merge')}?keep={live_visible[0]['id']}&remove={live_visible[1]['id']}"
        rows.append(
            {
                "finding": f,
                "reasons": [REASON_LABELS.get(r, r) for r in f.reason.split(",") if r],
                "customers": customers,
                "merge_url": merge_url,
            }
        )
    return rows


@login_required
@require_GET
def finding_list(request):
    _require_any(request.user, FINDINGS_PERMS)
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "open")
    qs = DuplicateFinding.objects.visible_to(request.user).select_related("resolved_by")
    if kind in FindingKind.values:
        qs = qs.filter(kind=kind)
    else:
        kind = ""
    qs = qs.filter(resolved_at__isnull=True) if state != "resolved" else qs.filter(resolved_at__isnull=False)
    qs = qs.prefetch_related(
        Prefetch("customers", queryset=Customer.objects.select_related("owner").only("pk", "name", "owner", "merged_into").order_by("pk"))
    ).order_by("-detected_at", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": _("Duplicates and archive checks"),
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "rows": _finding_rows(request.user, page.object_list),
        "kind": kind,
        "state": "resolved" if state == "resolved" else "open",
        "kinds": FindingKind.choices,
        "querystring": query.urlencode(),
        "can_scan": any(request.user.has_perm(c) for c in FINDINGS_PERMS),
    }
    return render(request, "customers/duplicates/list.html", context)


@login_required
@require_POST
def run_scan(request):
    _require_any(request.user, FINDINGS_PERMS)
    from .tasks_duplicates import scan_archive

    result = scan_archive.delay(force=True)
    if result.ready() and result.successful() and result.result:
        counts = result.result
        messages.success(
            request,
            _("Scan finished: %(dup)d duplicate groups, %(fict)d fictitious-looking and %(mis)d mis-assigned records.")
            % {
                "dup": counts["duplicate"]["found"],
                "fict": counts["fictitious"]["found"],
                "mis": counts["misassigned"]["found"],
            },
        )
    else:
        messages.info(request, _("The scan has started; refresh this page in a few minutes."))
    return HttpResponseRedirect(reverse("customers:duplicates"))


@login_required
@require_POST
def dismiss(request, pk: int):
    _require_any(request.user, FINDINGS_PERMS)
    finding = get_object_or_404(DuplicateFinding.objects.visible_to(request.user), pk=pk)
    try:
        duplicates.dismiss_finding(actor=request.user, finding=finding, comment=request.POST.get("comment", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The finding was marked as not a problem."))
    return HttpResponseRedirect(reverse("customers:duplicates"))


def _pick(user, raw) -> Customer:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Customer.objects.restrict(user, "change").select_related("owner", "unit", "region"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def merge_view(request):
    if not request.user.has_perm(merge.PERMISSION):
        raise PermissionDenied
    params = request.POST if request.method == "POST" else request.GET
    keep, remove = _pick(request.user, params.get("keep")), _pick(request.user, params.get("remove"))
    error = None
    if keep.pk == remove.pk:
        error = _("Choose two different customers to merge.")
    elif keep.merged_into_id or remove.merged_into_id:
        error = _("This customer has already been merged into another one.")
    rows = merge.compare(keep, remove)
    if request.method == "POST" and error is None:
        choices = {r["name"]: request.POST.get(f"field_{r['name']}", merge.KEEP) for r in rows}
        if request.POST.get("confirm") != "1":
            error = _("Tick the box to confirm the merge.")
        else:
            try:
                merge.merge_customers(actor=request.user, keep=keep, remove=remove, field_choices=choices)
            except DomainError as exc:
                error = str(exc)
            else:
                messages.success(request, _("“%(removed)s” was merged into “%(kept)s”.") % {"removed": remove.name, "kept": keep.name})
                return HttpResponseRedirect(_detail_url(keep.pk) or reverse("customers:duplicates"))
        for r in rows:
            r["proposed"] = choices.get(r["name"], r["proposed"])
    counts = {
        "keep": {"contacts": keep.contacts.count(), "members": keep.members.count(), "files": keep.files.count()},
        "remove": {"contacts": remove.contacts.count(), "members": remove.members.count(), "files": remove.files.count()},
    }
    context = {
        "title": _("Merge customers"),
        "keep": keep,
        "remove": remove,
        "rows": rows,
        "counts": counts,
        "error": error,
        "swap_url": f"{reverse('customers:merge')}?keep={remove.pk}&remove={keep.pk}",
    }
    return render(request, "customers/duplicates/merge.html", context, status=400 if error and request.method == "POST" else 200)
