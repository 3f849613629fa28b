"""Customer pages: list (filters, sort, count-free pagination, bulk actions), detail (static
fields, contacts by department, team, custom fields, filing/completeness, one timeline),
create/edit (contacts and departments inline, live duplicate check, stale-version refusal) and
the quick search of the header.

Every page reads through `Customer.objects.restrict(user, action)` (guanxi.core.generic's
ScopedMixin: no permission → 403, out of scope → 404); every write goes through
customers.services.
"""

from __future__ import annotations

import functools
import inspect
import operator
from typing import NamedTuple

from django.contrib import messages
from django.db import connection
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from guanxi.accounts.access import principal_for
from guanxi.accounts.models import DataScope
from guanxi.core.errors import Conflict, DomainError
from guanxi.core.generic import ScopedMixin
from guanxi.core.querysets import permission_code

from .filters import CustomerFilter
from .forms import (
    CUSTOM_PREFIX,
    DUPLICATE_TRIGGER_FIELDS,
    BulkForm,
    ContactFormSet,
    CustomerForm,
    DepartmentFormSet,
    can_see_personal,
    contact_initial,
    department_initial,
)
from .list_rows import PageRows, fenced_ids_sql, ids_sql, merged_ids_sql
from .models import Customer, CustomerMember, FieldType
from .panels import panels_for

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
DEFAULT_SORT = "-id"
SORTABLE = {
    "name": gettext_lazy("Name"),
    "created_at": gettext_lazy("Created"),
    "updated_at": gettext_lazy("Updated"),
    "completeness": gettext_lazy("Completeness"),
    "filing_deadline": gettext_lazy("Filing deadline"),
    "status": gettext_lazy("Status"),
    "id": gettext_lazy("Number"),
}
STALE_MESSAGE = gettext_lazy("The record was changed by someone else; reload the page to see the changes, then edit again.")


def _services():
    from . import services

    return services


def _call(fn, /, *args, **kwargs):
    """Calls a service with only the keyword arguments it accepts (the agreed signatures grew
    while the features were built in parallel)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


def _reverse(name, *args) -> str:
    """The URL, or "" while the feature owning it is not built."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# ------------------------------------------------------------------ list


class Page:
    """One page of a list without counting the whole result: page_size + 1 rows tell whether a
    next page exists. With the default sort (-id) pages are keyset pages (?after=<id> /
    ?before=<id>), otherwise offset pages (?page=N)."""

    def __init__(self, rows, *, size, start, has_next, has_previous, next_query, previous_query):
        self.object_list = rows
        self.size = size
        self.start_index = start + 1 if rows else 0
        self.end_index = start + len(rows)
        self.has_next = has_next
        self.has_previous = has_previous
        self.next_query = next_query
        self.previous_query = previous_query
        self.total = None if has_next else self.end_index  # known only on the last page

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def _int(value, default=None):
    try:
        n = int(value)
    except (TypeError, ValueError):
        return default
    return n if n >= 0 else default


class LazyPage:
    """A Page read on first use: its statement was sent when the page was made
    (list_rows.PageRows), and the template reaches the rows only after the page shell and the
    filter form, which render meanwhile. `size` is known at once."""

    def __init__(self, size: int, load):
        self.size = size
        self._load = load
        self._page = None

    def page(self) -> Page:
        if self._page is None:
            self._page = self._load()
        return self._page

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.page(), name)

    def __iter__(self):
        return iter(self.page())

    def __len__(self):
        return len(self.page())


def _keyset_ids_sql(qs, branches, key: dict, order: str, limit: int):
    if len(branches) == 1:
        return ids_sql(qs.filter(**key).order_by(order), limit)
    # One page from each scope branch (own customers, team memberships), each walking its own
    # index, then merged (list_rows.merged_ids_sql).
    return merged_ids_sql([branch.filter(**key) for branch in branches], order, limit)


def paginate_keyset(request, qs, size, branches) -> LazyPage:
    """Keyset pages on -id: WHERE id < after ORDER BY id DESC LIMIT size+1. `branches`: the
    same customers as querysets whose union is `qs` (list_querysets)."""
    after = _int(request.GET.get("after"))
    before = _int(request.GET.get("before"))
    start = _int(request.GET.get("start"), 0)
    if before is not None:
        key, order = {"id__gt": before}, "id"
    else:
        key, order = ({"id__lt": after} if after is not None else {}), "-id"
    pending = PageRows(*_keyset_ids_sql(qs, branches, key, order, size + 1))

    def load() -> Page:
        rows = pending.rows()
        first = start
        if before is not None:
            has_previous = len(rows) > size
            rows = list(reversed(rows[:size]))
            has_next = True
            first = max(start - size, 0) if has_previous else 0
        else:
            has_next = len(rows) > size
            rows = rows[:size]
            has_previous = after is not None
        if not has_previous:
            first = 0
        next_query = {"after": rows[-1].pk, "before": None, "page": None, "start": first + size} if rows and has_next else None
        previous_query = {"before": rows[0].pk, "after": None, "page": None, "start": first} if rows and has_previous else None
        return Page(
            rows, size=size, start=first, has_next=has_next, has_previous=has_previous, next_query=next_query, previous_query=previous_query
        )

    return LazyPage(size, load)


def paginate_offset(request, qs, size, order=None, fence=None) -> LazyPage:
    """Numbered pages of `qs` sorted by `order` (its own ordering when None). `fence`: the same
    customers as querysets whose union is `qs`, to be read whole and then sorted
    (list_rows.fenced_ids_sql) — for a scope small enough for that."""
    page = max(_int(request.GET.get("page"), 1) or 1, 1)
    offset = (page - 1) * size
    if fence and connection.vendor == "postgresql":
        pending = PageRows(*fenced_ids_sql(fence, order, size + 1, offset))
    else:
        pending = PageRows(*ids_sql(qs.order_by(*order) if order else qs, size + 1, offset))

    def load() -> Page:
        rows = pending.rows()
        has_next = len(rows) > size
        rows = rows[:size]
        if not rows and page > 1:  # past the end (e.g. after filtering): back to the first page
            return paginate_offset(_FirstPage(request), qs, size, order, fence).page()
        next_query = {"page": page + 1, "after": None, "before": None, "start": None} if has_next else None
        previous_query = {"page": page - 1 if page > 2 else None, "after": None, "before": None, "start": None} if page > 1 else None
        return Page(
            rows, size=size, start=offset, has_next=has_next, has_previous=page > 1, next_query=next_query, previous_query=previous_query
        )

    return LazyPage(size, load)


class _FirstPage:
    def __init__(self, request):
        self.GET = request.GET.copy()
        self.GET.pop("page", None)


class ListQuery(NamedTuple):
    filterset: CustomerFilter
    qs: object  # the scoped, filtered customers
    branches: list  # the same, one queryset per branch of the user's scope (their union is qs)
    own_only: bool  # the scope is the user's own customers (and team memberships): a few thousand at most


def list_querysets(user, params=None, request=None) -> ListQuery:
    """The list's filterset and its scoped, filtered customers, with the same customers per
    branch of the user's scope (core.querysets.restrict_branches)."""
    branches = Customer.objects.restrict_branches(user, "view")
    qs = functools.reduce(operator.or_, branches).live()
    filterset = CustomerFilter(params, queryset=qs, request=request)
    qs = filterset.qs  # validates the form (cleaned_data, below)
    if len(branches) == 1:
        branches = [qs]
    elif filterset.is_bound:
        branches = [filterset.filter_queryset(branch.live()) for branch in branches]
    else:
        branches = [branch.live() for branch in branches]
    principal = principal_for(user)
    own_only = principal is not None and principal.scope_level(Customer, "view") == DataScope.SELF
    return ListQuery(filterset, qs, branches, own_only)


class CustomerListView(ScopedMixin, TemplateView):
    model = Customer
    template_name = "customers/list.html"
    sortable = SORTABLE  # the columns core's sort_header links

    def sort(self) -> str:
        sort = self.request.GET.get("sort") or DEFAULT_SORT
        return sort if sort.lstrip("-") in SORTABLE else DEFAULT_SORT

    def page_size(self) -> int:
        size = _int(self.request.GET.get("per_page"), DEFAULT_PAGE_SIZE)
        return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        query = list_querysets(user, self.request.GET or None, self.request)
        filterset = query.filterset
        sort = self.sort()
        size = self.page_size()
        if sort == DEFAULT_SORT:
            page = paginate_keyset(self.request, query.qs, size, query.branches)
        else:
            # A rep's own customers are read whole and then sorted: walking the sort column's
            # index and filtering by owner reads most of the table when their customers are old.
            fence = query.branches if query.own_only else None
            page = paginate_offset(self.request, query.qs, size, (sort, "-id"), fence)
        query = self.request.GET.copy()
        for key in ("page", "after", "before", "start"):
            query.pop(key, None)
        can_change = user.has_perm(permission_code(Customer, "change"))
        can_export = user.has_perm(permission_code(Customer, "export"))
        export_url = _reverse("customers:export") if can_export else ""
        ctx.update(
            title=_("Customers"),
            filterset=filterset,
            page=page,
            customers=page,  # read when the template reaches the table
            sort=sort,
            sortable=SORTABLE,
            querystring=query.urlencode(),
            export_url=export_url,
            can_add=user.has_perm(permission_code(Customer, "add")),
            can_change=can_change,
            can_export=can_export,
            can_select=can_change or can_export,
            page_sizes=PAGE_SIZES,
            bulk_form=BulkForm(),
        )
        return ctx


class CustomerBulkView(ScopedMixin, View):
    """POST customers:bulk: add a tag to the selected customers, or export them."""

    model = Customer
    http_method_names = ["post"]

    def back(self):
        nxt = self.request.POST.get("next") or ""
        if nxt.startswith("/") and not nxt.startswith("//"):
            return HttpResponseRedirect(nxt)
        return HttpResponseRedirect(reverse("customers:list"))

    def post(self, request):
        form = BulkForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return self.back()
        ids = form.cleaned_data["ids"]
        if form.cleaned_data["action"] == "export":
            return self.export(ids)
        return self.add_tag(ids, form.cleaned_data["tag"].strip())

    def export(self, ids):
        request = self.request
        if not request.user.has_perm(permission_code(Customer, "export")):
            messages.error(request, _("You do not have the right to export customers."))
            return self.back()
        try:
            from .exports import export_customers
        except ImportError:
            messages.error(request, _("Export is not available yet on this installation."))
            return self.back()
        qs = Customer.objects.restrict(request.user, "export").filter(pk__in=ids).order_by("-id")
        try:
            return export_customers(request.user, qs)
        except DomainError as exc:
            messages.error(request, str(exc))
            return self.back()

    def add_tag(self, ids, tag_name):
        request = self.request
        if not request.user.has_perm(permission_code(Customer, "change")):
            messages.error(request, _("You do not have the right to change customers."))
            return self.back()
        services = _services()
        customers = list(Customer.objects.restrict(request.user, "change").filter(pk__in=ids).prefetch_related("tags"))
        done = 0
        try:
            bulk = getattr(services, "add_tags", None)
            if bulk is not None:
                result = _call(bulk, customers, [tag_name], actor=request.user)
                done = result if isinstance(result, int) else len(customers)
            else:
                from .models import Tag

                tag, _created = Tag.objects.get_or_create(name=tag_name)
                for customer in customers:
                    names = [t.name for t in customer.tags.all()]
                    if tag_name in names:
                        continue
                    _call(services.set_tags, customer, [*customer.tags.all(), tag], actor=request.user)
                    done += 1
        except DomainError as exc:
            messages.error(request, str(exc))
            return self.back()
        skipped = len(ids) - len(customers)
        messages.success(request, _("Tag “%(tag)s” added to %(count)d customers.") % {"tag": tag_name, "count": done or len(customers)})
        if skipped:
            messages.warning(request, _("%(count)d selected customers could not be changed by you and were skipped.") % {"count": skipped})
        return self.back()


# ------------------------------------------------------------------ detail


def key_customer_warning(customer):
    return _services().key_customer_warning(customer)


def timeline_items(customer, user, limit=100):
    """Items of every registered timeline source, newest first (customers.timeline, A1)."""
    try:
        from .timeline import timeline
    except ImportError:
        return []
    return timeline(customer, user=user, limit=limit)


def contacts_by_department(customer):
    """[(department or None, [contacts])], departments by name, contacts without one last."""
    departments = list(customer.departments.order_by("name"))
    groups = {d.pk: (d, []) for d in departments}
    loose = []
    for contact in customer.contacts.filter(erased_at__isnull=True).order_by("-is_primary", "name"):
        if contact.department_id in groups:
            groups[contact.department_id][1].append(contact)
        else:
            loose.append(contact)
    out = [groups[d.pk] for d in departments]
    if loose:
        out.append((None, loose))
    return out


def custom_values(customer):
    """[(definition, value, files)] for the custom fields of the customer's category."""
    from .models import CustomFieldDef

    files = {}
    for f in customer.files.order_by("-uploaded_at"):
        files.setdefault(f.field_key, []).append(f)
    out = []
    for d in CustomFieldDef.objects.filter(category=customer.category).order_by("order", "key"):
        value = (customer.custom_data or {}).get(d.key)
        out.append((d, value, files.get(d.key, []) if d.field_type == FieldType.FILE else []))
    other_files = [f for key, fs in files.items() for f in fs if not key]
    return out, other_files


DETAIL_FIELDS = (  # shown in the detail card (name and status are in the header)
    "short_name",
    "credit_code",
    "category",
    "special_kind",
    "industry",
    "scale",
    "nature",
    "supervising_unit",
    "region",
    "address",
    "website",
    "business_scope",
    "registered_capital",
    "legal_representative",
    "phone",
    "fax",
    "email",
    "source",
    "first_contact_date",
)


class CustomerDetailView(ScopedMixin, TemplateView):
    model = Customer
    template_name = "customers/detail.html"

    def get_object(self):
        qs = Customer.objects.restrict(self.request.user, "view").select_related("owner", "unit", "region", "created_by", "merged_into")
        return get_object_or_404(qs, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        customer = self.get_object()
        custom, other_files = custom_values(customer)
        can_change = _services().may_change(user, customer)
        handbook = {kind: _reverse(f"customers:handbook_{kind}", customer.pk) for kind in ("pdf", "xlsx")}
        ctx.update(
            object=customer,
            customer=customer,
            title=customer.name,
            static_fields=DETAIL_FIELDS,
            key_warning=key_customer_warning(customer),
            panels=panels_for(customer, user),
            departments=contacts_by_department(customer),
            members=list(CustomerMember.objects.current().filter(customer=customer).select_related("user")),
            custom=custom,
            other_files=other_files,
            tags=list(customer.tags.all()),
            timeline=timeline_items(customer, user),
            can_change=can_change,
            can_see_personal=can_see_personal(user),
            handbook=handbook,
        )
        return ctx


# ------------------------------------------------------------------ create / edit


class CustomerFormMixin(ScopedMixin):
    model = Customer
    template_name = "customers/form.html"

    def build(self, customer=None, data=None, files=None):
        user = self.request.user
        hide = not can_see_personal(user)
        category = self.request.GET.get("category") if data is None else None
        form = CustomerForm(data, files, instance=customer or Customer(), user=user, category=category)
        # Changing the category reloads only the custom-field card (htmx).
        form.fields["category"].widget.attrs.update(
            {
                "hx-get": self.request.path,
                "hx-trigger": "change",
                "hx-include": "this",
                "hx-select": "#custom-fields",
                "hx-target": "#custom-fields",
                "hx-swap": "outerHTML",
            }
        )
        # A POST without a formset's management form (an API-like client, a form of another
        # page) leaves that list unchanged instead of failing.
        contact_data = data if data is None or "contacts-TOTAL_FORMS" in data else None
        department_data = data if data is None or "departments-TOTAL_FORMS" in data else None
        contacts = ContactFormSet(
            contact_data, prefix="contacts", initial=contact_initial(customer) if customer else None, hide_personal=hide
        )
        departments = DepartmentFormSet(department_data, prefix="departments", initial=department_initial(customer) if customer else None)
        return form, contacts, departments

    def render_form(self, form, contacts, departments, *, customer=None, hits=None, stale=False, status=200):
        trigger_names = [form[n].html_name for n in DUPLICATE_TRIGGER_FIELDS if n in form.fields]
        ctx = {
            "form": form,
            "contacts": contacts,
            "departments": departments,
            "object": customer,
            "customer": customer,
            "title": (_("Edit %(name)s") % {"name": customer.name}) if customer else _("New customer"),
            "hits": hits,
            "stale": stale,
            "stale_message": STALE_MESSAGE,
            "duplicate_fields": trigger_names,
            "can_see_personal": can_see_personal(self.request.user),
            "cancel_url": customer.get_absolute_url() if customer else reverse("customers:list"),
        }
        return render(self.request, self.template_name, ctx, status=status)

    def collect(self, contacts, departments, customer=None):
        """(contact items, department items) for the service: an item with "id" changes that
        row, with "delete" removes it, without "id" creates one; blank extra rows are skipped.
        A contact's department typed as a new name becomes a new department."""
        self.row_forms = {"contacts": [], "departments": []}
        if not contacts.is_bound and not departments.is_bound:
            return None, None
        department_rows = []
        for f in departments.forms if departments.is_bound else ():
            if not f.cleaned_data:
                continue
            row = {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
            if not row.get("id"):
                row.pop("id", None)
            if f in departments.deleted_forms:
                if row.get("id"):
                    department_rows.append({"id": row["id"], "delete": True})
                    self.row_forms["departments"].append(f)
                continue
            department_rows.append(row)
            self.row_forms["departments"].append(f)
        contact_rows = []
        for f in contacts.forms if contacts.is_bound else ():
            if not f.cleaned_data:
                continue
            if f in contacts.deleted_forms:
                if f.cleaned_data.get("id"):
                    contact_rows.append({"id": f.cleaned_data["id"], "delete": True})
                    self.row_forms["contacts"].append(f)
                continue
            contact_rows.append(f.service_data())
            self.row_forms["contacts"].append(f)
        known = {r.get("name") for r in department_rows if not r.get("delete")}
        if customer is not None:
            known |= set(customer.departments.values_list("name", flat=True))
        for row in contact_rows:
            name = row.get("department_name")
            if name and name not in known:
                department_rows.append({"name": name, "business_info": "", "communication_info": "", "background_info": ""})
                known.add(name)
        return (contact_rows if contacts.is_bound else None), (department_rows if departments.is_bound or department_rows else None)

    def all_valid(self, form, contacts, departments):
        ok = form.is_valid()
        ok = (contacts.is_valid() or not contacts.is_bound) and ok
        ok = (departments.is_valid() or not departments.is_bound) and ok
        return ok

    def save_files(self, customer, form):
        files = form.custom_files()
        if not files:
            return
        services = _services()
        attach = getattr(services, "attach_file", None) or getattr(services, "add_file", None)
        for key, upload in files.items():
            if attach is not None:
                _call(attach, customer, actor=self.request.user, field_key=key, upload=upload, name=upload.name)
            else:
                from .models import CustomerFile

                CustomerFile.objects.create(customer=customer, field_key=key, file=upload, name=upload.name, uploaded_by=self.request.user)

    def domain_error(self, form, exc):
        """Puts a service error on the field it names: a customer field, a custom field
        ("custom_data" with params["key"]) or a row of the contacts/departments formsets
        ("contacts.2.mobile"); else on the form."""
        field = exc.field or ""
        params = getattr(exc, "params", {}) or {}
        if field == "custom_data" and (CUSTOM_PREFIX + str(params.get("key", ""))) in form.fields:
            form.add_error(CUSTOM_PREFIX + params["key"], str(exc))
            return
        parts = field.split(".")
        rows = getattr(self, "row_forms", {}).get(parts[0]) if len(parts) >= 2 else None
        if rows is not None and parts[1].isdigit():
            index = int(parts[1])
            if index < len(rows):
                target = rows[index]
                name = parts[2] if len(parts) > 2 and parts[2] in target.fields else None
                if name == "department" or (len(parts) > 2 and parts[2] == "department_name"):
                    name = "department"
                target.add_error(name, str(exc))
                return
        form.add_error(field if field in form.fields else None, str(exc))


class CustomerCreateView(CustomerFormMixin, View):
    action = "add"

    def get(self, request):
        form, contacts, departments = self.build()
        return self.render_form(form, contacts, departments)

    def post(self, request):
        form, contacts, departments = self.build(data=request.POST, files=request.FILES)
        if not self.all_valid(form, contacts, departments):
            return self.render_form(form, contacts, departments, status=400)
        contact_rows, department_rows = self.collect(contacts, departments)
        confirm = form.cleaned_data.get("confirm_duplicates", False)
        DuplicateFound = _services().duplicate_error_class()
        try:
            customer = _call(
                _services().create_customer,
                actor=request.user,
                data=form.service_data(),
                contacts=contact_rows,
                departments=department_rows,
                check_duplicates=not confirm,
                confirm_duplicates=confirm,
            )
            self.save_files(customer, form)
        except DuplicateFound as exc:
            return self.render_form(form, contacts, departments, hits=exc.hits, status=409)
        except DomainError as exc:
            self.domain_error(form, exc)
            return self.render_form(form, contacts, departments, status=400)
        messages.success(request, _("The customer “%(name)s” was created.") % {"name": customer.name})
        return HttpResponseRedirect(customer.get_absolute_url())


class CustomerEditView(CustomerFormMixin, View):
    action = "change"

    def get_object(self):
        return get_object_or_404(Customer.objects.restrict(self.request.user, "change"), pk=self.kwargs["pk"])

    def get(self, request, pk):
        customer = self.get_object()
        form, contacts, departments = self.build(customer)
        if can_see_personal(request.user):
            self.audit_personal(customer)
        return self.render_form(form, contacts, departments, customer=customer)

    def audit_personal(self, customer):
        """The edit form carries the contacts' full personal values (for users with the right):
        that is a showing, audited like a reveal (personal_data.viewed, field names only)."""
        try:
            from .privacy import masked_contact
        except ImportError:
            return
        for contact in customer.contacts.filter(erased_at__isnull=True):
            masked_contact(contact, self.request.user, reveal=True)

    def post(self, request, pk):
        customer = self.get_object()
        if customer.merged_into_id:
            raise Http404
        form, contacts, departments = self.build(customer, data=request.POST, files=request.FILES)
        if not self.all_valid(form, contacts, departments):
            return self.render_form(form, contacts, departments, customer=customer, status=400)
        contact_rows, department_rows = self.collect(contacts, departments, customer)
        confirm = form.cleaned_data.get("confirm_duplicates", False)
        expected = form.cleaned_data.get("version")  # missing → the service refuses the save
        services = _services()
        DuplicateFound = services.duplicate_error_class()
        try:
            customer = _call(
                services.update_customer,
                customer,
                actor=request.user,
                data=form.service_data(),
                expected_version=expected,
                contacts=contact_rows,
                departments=department_rows,
                check_duplicates=not confirm,
                confirm_duplicates=confirm,
            ) or Customer.objects.get(pk=customer.pk)
            self.save_files(customer, form)
        except DuplicateFound as exc:
            return self.render_form(form, contacts, departments, customer=customer, hits=exc.hits, status=409)
        except Conflict as exc:
            stale = exc.code == "stale"
            form.add_error(None, STALE_MESSAGE if stale else str(exc))
            return self.render_form(form, contacts, departments, customer=customer, stale=stale, status=409)
        except DomainError as exc:
            self.domain_error(form, exc)
            return self.render_form(form, contacts, departments, customer=customer, status=400)
        messages.success(request, _("The customer was saved."))
        return HttpResponseRedirect(customer.get_absolute_url())


# ------------------------------------------------------------------ quick search


class CustomerSearchView(ScopedMixin, TemplateView):
    """customers:search?q=… : customer search (name, pinyin, initials, phone, mobile, credit
    code, contact name) within the user's scope. The header's box asks it while the user types
    (htmx) and gets only the first few matches as a drop-down fragment; Enter opens the page."""

    model = Customer
    template_name = "customers/search.html"
    limit = 50
    quick_limit = 8

    def get_template_names(self):
        return ["customers/_quick_results.html"] if self.request.htmx else [self.template_name]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if request.htmx:
            self.limit = self.quick_limit

    def get_context_data(self, **kwargs):
        from . import list_rows
        from .search import hit_ids, matching_contacts

        ctx = super().get_context_data(**kwargs)
        q = (self.request.GET.get("q") or "").strip()[:100]
        via_contacts: set[int] = set()
        ids = hit_ids(self.request.user, q, self.limit + 1, via_contacts) if q else []
        results = list_rows.rows_for_ids(ids[: self.limit], list_rows.HitRow)
        # Hits found through a contact say which one (a customer's name need not look like "孙经理").
        contacts = matching_contacts(self.request.user, q, via_contacts.intersection(ids[: self.limit]))
        ctx.update(
            title=_("Search customers"),
            q=q,
            results=results,
            hits=list_rows.render_hits(results, contacts),
            more=len(ids) > self.limit,
            limit=self.limit,
        )
        return ctx

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        results = response.context_data["results"]
        if len(results) == 1 and request.GET.get("go") == "1":
            return HttpResponseRedirect(reverse("customers:detail", args=[results[0].pk]))
        return response
