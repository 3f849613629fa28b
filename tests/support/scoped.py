"""Shared scope tests per object type (ARCHITECTURE "Shared tests per object type").

One set of mixins tests every object type the same way, for each declared view and API action:

- anonymous            → redirect to the login page (API: 401/403), nothing written;
- no permission        → 403, nothing written (a view-only role may not create/edit/delete);
- full permission      → success, and every write leaves an audit or history row stamped with
                         the request's source ("web" or "api") and request id;
- constrained scope    → objects outside the user's scope are missing from lists and exports,
                         and detail/edit/delete on them give 404 with nothing written;
- query-count baseline → a list of 30 objects takes no more queries than a list of 3, and at
                         most `list_max_queries` (N+1 fails).

A concrete class only declares its data; tests for URLs or API actions it does not declare are
removed from that class (not skipped), so declare exactly what exists:

    class TestOrgUnitScope(ScopedObjectTests):
        model = OrgUnit
        list_url = "org:unit_list"
        detail_url = "org:unit_detail"
        api_basename = "orgunit"
        constrained_scope = "unit_tree"

        def make_object(self, env, *, in_scope=True):
            return make_unit(parent=env.home if in_scope else env.other)

        def form_data(self, env):
            return {"name": env.unique("Unit"), "code": env.unique("u"), "kind": "department", "parent": env.home.pk}

The environment (`scope_env` fixture, a ScopeEnv) has the unit tree company ─┬─ home ── child,
└─ other and four users, each with one position and a role holding the model's five permission
codes (view/add/change/delete/export) plus `extra_permissions`:
  full        — scope "all", in company;
  constrained — scope `constrained_scope`, in home;
  reader      — only "view" (plus `extra_permissions`), scope "all", in company;
  nobody      — a role without any permission, in home.
`make_object(env, in_scope=True)` must create a new object visible to `constrained` (and to
`full`); `in_scope=False` one that `constrained` must not see.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from guanxi.accounts.models import OrgUnit, User
from guanxi.core.models import AuditEvent
from guanxi.core.querysets import permission_code

from . import org

LOGIN_BACKEND = "guanxi.accounts.backends.PositionBackend"
REDIRECTS = (301, 302, 303)


# ---------------------------------------------------------------- what a request wrote


def append_only_models() -> list[type[models.Model]]:
    """The audit log and every field-history table."""
    out: list[type[models.Model]] = [AuditEvent]
    out += [m for m in apps.get_models() if m.__name__.startswith("Historical") and hasattr(m, "history_type")]
    return out


@dataclass
class WriteMarks:
    """Highest primary key of each append-only table at one moment."""

    maxes: dict[type[models.Model], int]


def snapshot() -> WriteMarks:
    return WriteMarks({m: m._default_manager.aggregate(n=Max("pk"))["n"] or 0 for m in append_only_models()})


def written_since(marks: WriteMarks) -> list[models.Model]:
    """Audit events and history rows written after `marks` was taken."""
    rows: list[models.Model] = []
    for model, top in marks.maxes.items():
        rows += list(model._default_manager.filter(pk__gt=top))
    return rows


def row_source(row) -> tuple[str, str]:
    if isinstance(row, AuditEvent):
        return row.source, row.request_id
    return row.history_source, row.history_request_id


def describe(rows) -> str:
    return ", ".join(f"{type(r).__name__}#{r.pk}(source={row_source(r)[0]!r})" for r in rows) or "none"


def assert_recorded(marks: WriteMarks, source: str) -> list[models.Model]:
    """At least one audit or history row was written, each stamped `source` with a request id."""
    rows = written_since(marks)
    assert rows, "the write left neither an audit event nor a history row"
    wrong = [r for r in rows if row_source(r)[0] != source or not row_source(r)[1]]
    assert not wrong, f"rows not stamped source={source!r} with a request id: {describe(wrong)}"
    return rows


def assert_nothing_written(marks: WriteMarks) -> None:
    rows = written_since(marks)
    assert not rows, f"expected no audit or history row, got {describe(rows)}"


def field_values(obj) -> dict[str, Any]:
    fresh = type(obj)._base_manager.filter(pk=obj.pk).first()
    assert fresh is not None, f"{obj!r} no longer exists"
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


# ---------------------------------------------------------------- queries


def count_queries(client, url: str, **extra) -> tuple[int, list[str], Any]:
    """(number of queries, their SQL, response) for one GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, f"GET {url} gave {response.status_code}"
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries], response


def assert_no_n_plus_one(
    client, url: str, make_one, *, few: int = 3, many: int = 30, max_queries: int | None = None, **extra
) -> tuple[int, int]:
    """Query-count baseline: with `few` objects and then `many`, the page must not take more
    queries for more rows, and at most `max_queries`. `make_one()` creates one listed object."""
    for _ in range(few):
        make_one()
    client.get(url, **extra)  # warm per-process caches (content types, ...)
    # Each side is measured twice: a time-based cache (e.g. the current policy version) may add
    # a query to one request; an N+1 adds one per row.
    (n_few, sql_few), (n_few2, _) = (count_queries(client, url, **extra)[:2] for _ in range(2))
    for _ in range(many - few):
        make_one()
    (n_many, sql_many), (n_many2, _) = (count_queries(client, url, **extra)[:2] for _ in range(2))
    if min(n_many, n_many2) > max(n_few, n_few2):
        diff = "\n".join(
            difflib.unified_diff([q[:160] for q in sql_few], [q[:160] for q in sql_many], f"{few} rows", f"{many} rows", lineterm="")
        )
        raise AssertionError(f"{url}: {n_few} queries for {few} rows but {n_many} for {many} (N+1?):\n{diff}")
    n_few = min(n_few, n_few2)
    if max_queries is not None:
        assert n_few <= max_queries, f"{url}: {n_few} queries, baseline allows {max_queries}:\n" + "\n".join(q[:160] for q in sql_few)
    return n_few, n_many


# ---------------------------------------------------------------- environment


@dataclass
class ScopeEnv:
    case: Any
    company: OrgUnit
    home: OrgUnit
    child: OrgUnit
    other: OrgUnit
    full: User
    constrained: User
    reader: User
    nobody: User

    def unique(self, prefix: str = "x") -> str:
        return org.unique(prefix)


def build_env(case) -> ScopeEnv:
    model = case.model
    every = [permission_code(model, a) for a in org.ACTIONS] + list(case.extra_permissions)
    view_only = [permission_code(model, "view"), *case.extra_permissions]
    company = org.make_unit("Scope Company", kind="company")
    home = org.make_unit("Scope Home", company)
    child = org.make_unit("Scope Child", home, kind="team")
    other = org.make_unit("Scope Other", company)
    label = model._meta.model_name
    full = org.make_user(org.make_role(f"scope-full-{label}", permissions=every, scope="all"), company, username=org.unique("full"))
    constrained = org.make_user(
        org.make_role(f"scope-constrained-{label}", permissions=every, scope=case.constrained_scope or "all"),
        home,
        username=org.unique("constrained"),
    )
    reader = org.make_user(
        org.make_role(f"scope-reader-{label}", permissions=view_only, scope="all"), company, username=org.unique("reader")
    )
    nobody = org.make_user(org.make_role(f"scope-nobody-{label}", permissions=[], scope="all"), home, username=org.unique("nobody"))
    return ScopeEnv(case, company, home, child, other, full, constrained, reader, nobody)


def requires(*attrs: str, api: str | None = None):
    """Test only when the class declares every attribute in `attrs` (and `api` is among its
    api_actions); otherwise the test is removed from the concrete class."""

    def mark(fn):
        fn._scope_requires = (attrs, api)
        return fn

    return mark


# ---------------------------------------------------------------- base


class ScopeMatrix:
    """Declarations and helpers shared by all the scope mixins. Not collected by itself."""

    model: ClassVar[type[models.Model] | None] = None
    # URL names (reverse()); detail/edit/delete take url_kwargs(obj). Each one is optional.
    list_url: ClassVar[str | None] = None
    detail_url: ClassVar[str | None] = None
    create_url: ClassVar[str | None] = None
    edit_url: ClassVar[str | None] = None
    delete_url: ClassVar[str | None] = None
    export_url: ClassVar[str | None] = None
    # API: router basename ("<basename>-list" / "<basename>-detail") and the actions it offers.
    api_basename: ClassVar[str | None] = None
    api_actions: ClassVar[tuple[str, ...]] = ("list", "retrieve", "create", "update", "delete")
    api_id_field: ClassVar[str] = "id"
    # The constrained user's data scope; None when the model has no narrower scope (reference
    # data every scope reads in full): the constrained tests are then left out.
    constrained_scope: ClassVar[str | None] = "self"
    # Permission codes every test role needs besides the model's own five.
    extra_permissions: ClassVar[tuple[str, ...]] = ()
    # Query-count baselines for the list page and the API list (upper bounds).
    list_max_queries: ClassVar[int | None] = 30
    api_list_max_queries: ClassVar[int | None] = 30
    # The audit event an export must write (F-SEC-2); None if the export is not audited.
    export_audit_event: ClassVar[str | None] = "export.downloaded"

    # -- data hooks (override) --------------------------------------------------------

    def make_object(self, env: ScopeEnv, *, in_scope: bool = True) -> models.Model:
        raise NotImplementedError(f"{type(self).__name__} must define make_object(env, *, in_scope=True)")

    def form_data(self, env: ScopeEnv) -> dict:
        """Valid POST data for create_url."""
        raise NotImplementedError(f"{type(self).__name__} must define form_data(env)")

    def edit_data(self, env: ScopeEnv, obj) -> dict:
        """Valid POST data for edit_url on `obj` (default: form_data)."""
        return self.form_data(env)

    def out_of_scope_form_data(self, env: ScopeEnv) -> dict | None:
        """POST data by which `constrained` would create an object outside its scope; when
        given, create must refuse it and write nothing."""
        return None

    def api_payload(self, env: ScopeEnv) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define api_payload(env)")

    def api_update_payload(self, env: ScopeEnv, obj) -> dict:
        return self.api_payload(env)

    def api_out_of_scope_payload(self, env: ScopeEnv) -> dict | None:
        return None

    def url_kwargs(self, obj) -> dict:
        return {"pk": obj.pk}

    def api_kwargs(self, obj) -> dict:
        return {"pk": obj.pk}

    def assert_deleted(self, obj) -> None:
        """After a successful delete (override e.g. for deactivation)."""
        assert not type(obj)._base_manager.filter(pk=obj.pk).exists(), f"{obj!r} still exists after delete"

    def list_marker(self, obj) -> str:
        """What shows that `obj` is on the list page: its detail link, or else str(obj)."""
        if self.detail_url:
            return reverse(self.detail_url, kwargs=self.url_kwargs(obj))
        return str(obj)

    def export_marker(self, obj) -> str:
        return str(obj)

    # -- helpers ----------------------------------------------------------------------

    @pytest.fixture
    def scope_env(self, db) -> ScopeEnv:
        return build_env(self)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is None:
            return
        for name in dir(cls):
            if not name.startswith("test_"):
                continue
            fn = getattr(cls, name)
            attrs, api = getattr(fn, "_scope_requires", ((), None))
            if not all(cls._declares(a) for a in attrs) or (api is not None and api not in cls.api_actions):
                setattr(cls, name, None)  # pytest collects only callables: the test is gone

    @classmethod
    def _declares(cls, attr: str) -> bool:
        """A data attribute is declared when truthy, a hook when the class overrides it."""
        value, base = getattr(cls, attr), getattr(ScopeMatrix, attr, None)
        return value is not base if callable(base) else bool(value)

    def url(self, view: str, obj=None) -> str:
        name = getattr(self, f"{view}_url")
        return reverse(name, kwargs=self.url_kwargs(obj)) if obj is not None else reverse(name)

    def api_url(self, obj=None) -> str:
        if obj is None:
            return reverse(f"{self.api_basename}-list")
        return reverse(f"{self.api_basename}-detail", kwargs=self.api_kwargs(obj))

    def login(self, user) -> Client:
        client = Client()
        client.force_login(user, backend=LOGIN_BACKEND)
        return client

    def api_login(self, user) -> APIClient:
        client = APIClient()
        client.force_login(user, backend=LOGIN_BACKEND)
        return client

    def count(self) -> int:
        return self.model._base_manager.count()

    @staticmethod
    def assert_login_redirect(response, what: str) -> None:
        assert response.status_code in REDIRECTS, f"anonymous {what}: expected a redirect to login, got {response.status_code}"
        assert response["Location"].startswith(reverse("accounts:login")), f"anonymous {what} redirected to {response['Location']}"

    @staticmethod
    def assert_status(response, expected, what: str) -> None:
        expected = expected if isinstance(expected, tuple) else (expected,)
        if response.status_code in expected:
            return
        detail = ""
        ctx = getattr(response, "context", None)
        form = ctx.get("form") if ctx else None
        if form is not None and getattr(form, "errors", None):
            detail = f" form errors: {form.errors.as_json()}"
        elif response.get("Content-Type", "").startswith("application/json"):
            detail = f" body: {response.content[:500]!r}"
        raise AssertionError(f"{what}: expected {expected}, got {response.status_code}.{detail}")

    @staticmethod
    def page_text(response) -> str:
        body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
        ctype = response.get("Content-Type", "")
        if "spreadsheetml" in ctype:
            try:
                import io

                import openpyxl
            except ImportError:
                return ""
            wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
            return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None)
        return body.decode("utf-8", errors="replace")

    @staticmethod
    def shows(text: str, marker: str) -> bool:
        if marker.startswith("/"):
            return f'"{marker}"' in text or f"'{marker}'" in text or f'"{marker}?' in text
        return marker in text

    def api_ids(self, response) -> list:
        data = response.json()
        rows = data["results"] if isinstance(data, dict) and "results" in data else data
        return [row[self.api_id_field] for row in rows]

    def _post_forbidden(self, client, url, data, what, expected=(403,)):
        marks, before = snapshot(), self.count()
        response = client.post(url, data)
        if expected == "login":
            self.assert_login_redirect(response, what)
        else:
            self.assert_status(response, expected, what)
        assert_nothing_written(marks)
        assert self.count() == before, f"{what}: the number of {self.model._meta.verbose_name_plural} changed"


# ---------------------------------------------------------------- web views


class ListScopeTests(ScopeMatrix):
    @requires("list_url")
    def test_list_anonymous(self, scope_env, client):
        self.assert_login_redirect(client.get(self.url("list")), "list")

    @requires("list_url")
    def test_list_no_permission(self, scope_env):
        self.assert_status(self.login(scope_env.nobody).get(self.url("list")), 403, "list without permission")

    @requires("list_url")
    def test_list_full(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        response = self.login(scope_env.full).get(self.url("list"))
        self.assert_status(response, 200, "list with full permission")
        text = self.page_text(response)
        for obj in (inside, outside):
            assert self.shows(text, self.list_marker(obj)), f"list misses {obj!r} (looked for {self.list_marker(obj)!r})"

    @requires("list_url", "constrained_scope")
    def test_list_constrained(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        response = self.login(scope_env.constrained).get(self.url("list"))
        self.assert_status(response, 200, "list with constrained scope")
        text = self.page_text(response)
        assert self.shows(text, self.list_marker(inside)), f"list misses in-scope {inside!r}"
        assert not self.shows(text, self.list_marker(outside)), f"list shows out-of-scope {outside!r}"

    def test_scope_branches_are_the_scope(self, scope_env):
        """restrict_branches (read branch by branch by the customer list) is restrict() split
        up: together the branches give exactly its rows, for every role."""
        self.make_object(scope_env)
        self.make_object(scope_env, in_scope=False)
        objects = self.model.objects
        for user in (scope_env.full, scope_env.constrained, scope_env.reader, scope_env.nobody):
            for action in ("view", "change"):
                branches = objects.restrict_branches(user, action)
                union = set().union(*(set(qs.values_list("pk", flat=True)) for qs in branches))
                assert union == set(objects.restrict(user, action).values_list("pk", flat=True)), (user, action)

    @requires("list_url")
    def test_list_query_count(self, scope_env):
        assert_no_n_plus_one(
            self.login(scope_env.full), self.url("list"), lambda: self.make_object(scope_env), max_queries=self.list_max_queries
        )


class DetailScopeTests(ScopeMatrix):
    @requires("detail_url")
    def test_detail_anonymous(self, scope_env, client):
        self.assert_login_redirect(client.get(self.url("detail", self.make_object(scope_env))), "detail")

    @requires("detail_url")
    def test_detail_no_permission(self, scope_env):
        obj = self.make_object(scope_env)
        self.assert_status(self.login(scope_env.nobody).get(self.url("detail", obj)), 403, "detail without permission")

    @requires("detail_url")
    def test_detail_full(self, scope_env):
        obj = self.make_object(scope_env, in_scope=False)
        self.assert_status(self.login(scope_env.full).get(self.url("detail", obj)), 200, "detail with full permission")

    @requires("detail_url", "constrained_scope")
    def test_detail_constrained(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        client = self.login(scope_env.constrained)
        self.assert_status(client.get(self.url("detail", inside)), 200, "detail of an in-scope object")
        self.assert_status(client.get(self.url("detail", outside)), 404, "detail of an out-of-scope object")


class CreateScopeTests(ScopeMatrix):
    @requires("create_url")
    def test_create_anonymous(self, scope_env, client):
        self.assert_login_redirect(client.get(self.url("create")), "create form")
        self._post_forbidden(client, self.url("create"), self.form_data(scope_env), "anonymous create", expected="login")

    @requires("create_url")
    def test_create_no_permission(self, scope_env):
        for user in (scope_env.nobody, scope_env.reader):
            client = self.login(user)
            self.assert_status(client.get(self.url("create")), 403, f"create form for {user.username}")
            self._post_forbidden(client, self.url("create"), self.form_data(scope_env), f"create by {user.username}")

    @requires("create_url")
    def test_create_full(self, scope_env):
        client = self.login(scope_env.full)
        self.assert_status(client.get(self.url("create")), 200, "create form")
        marks, before = snapshot(), self.count()
        response = client.post(self.url("create"), self.form_data(scope_env))
        self.assert_status(response, REDIRECTS, "create with full permission")
        assert self.count() == before + 1, "create did not add exactly one object"
        assert_recorded(marks, "web")

    @requires("create_url", "constrained_scope", "out_of_scope_form_data")
    def test_create_constrained_out_of_scope(self, scope_env):
        data = self.out_of_scope_form_data(scope_env)
        self._post_forbidden(
            self.login(scope_env.constrained), self.url("create"), data, "create outside the scope", expected=(200, 400, 403, 404)
        )


class EditScopeTests(ScopeMatrix):
    @requires("edit_url")
    def test_edit_anonymous(self, scope_env, client):
        obj = self.make_object(scope_env)
        self.assert_login_redirect(client.get(self.url("edit", obj)), "edit form")
        before = field_values(obj)
        self._post_forbidden(client, self.url("edit", obj), self.edit_data(scope_env, obj), "anonymous edit", expected="login")
        assert field_values(obj) == before

    @requires("edit_url")
    def test_edit_no_permission(self, scope_env):
        obj = self.make_object(scope_env)
        before = field_values(obj)
        for user in (scope_env.nobody, scope_env.reader):
            client = self.login(user)
            self.assert_status(client.get(self.url("edit", obj)), 403, f"edit form for {user.username}")
            self._post_forbidden(client, self.url("edit", obj), self.edit_data(scope_env, obj), f"edit by {user.username}")
        assert field_values(obj) == before

    @requires("edit_url")
    def test_edit_full(self, scope_env):
        obj = self.make_object(scope_env, in_scope=False)
        client = self.login(scope_env.full)
        self.assert_status(client.get(self.url("edit", obj)), 200, "edit form")
        marks = snapshot()
        response = client.post(self.url("edit", obj), self.edit_data(scope_env, obj))
        self.assert_status(response, REDIRECTS, "edit with full permission")
        assert_recorded(marks, "web")

    @requires("edit_url", "constrained_scope")
    def test_edit_constrained(self, scope_env):
        outside = self.make_object(scope_env, in_scope=False)
        before = field_values(outside)
        client = self.login(scope_env.constrained)
        self.assert_status(client.get(self.url("edit", outside)), 404, "edit form of an out-of-scope object")
        self._post_forbidden(
            client, self.url("edit", outside), self.edit_data(scope_env, outside), "edit of an out-of-scope object", expected=404
        )
        assert field_values(outside) == before, "an out-of-scope object was changed"


class DeleteScopeTests(ScopeMatrix):
    @requires("delete_url")
    def test_delete_anonymous(self, scope_env, client):
        obj = self.make_object(scope_env)
        self.assert_login_redirect(client.get(self.url("delete", obj)), "delete confirmation")
        self._post_forbidden(client, self.url("delete", obj), {}, "anonymous delete", expected="login")
        field_values(obj)

    @requires("delete_url")
    def test_delete_no_permission(self, scope_env):
        obj = self.make_object(scope_env)
        before = field_values(obj)
        for user in (scope_env.nobody, scope_env.reader):
            client = self.login(user)
            self.assert_status(client.get(self.url("delete", obj)), 403, f"delete confirmation for {user.username}")
            self._post_forbidden(client, self.url("delete", obj), {}, f"delete by {user.username}")
        assert field_values(obj) == before

    @requires("delete_url")
    def test_delete_full(self, scope_env):
        obj = self.make_object(scope_env, in_scope=False)
        client = self.login(scope_env.full)
        self.assert_status(client.get(self.url("delete", obj)), 200, "delete confirmation")
        marks = snapshot()
        self.assert_status(client.post(self.url("delete", obj), {}), REDIRECTS, "delete with full permission")
        self.assert_deleted(obj)
        assert_recorded(marks, "web")

    @requires("delete_url", "constrained_scope")
    def test_delete_constrained(self, scope_env):
        outside = self.make_object(scope_env, in_scope=False)
        before = field_values(outside)
        client = self.login(scope_env.constrained)
        self.assert_status(client.get(self.url("delete", outside)), 404, "delete confirmation of an out-of-scope object")
        self._post_forbidden(client, self.url("delete", outside), {}, "delete of an out-of-scope object", expected=404)
        assert field_values(outside) == before


class ExportScopeTests(ScopeMatrix):
    @requires("export_url")
    def test_export_anonymous(self, scope_env, client):
        self.assert_login_redirect(client.get(self.url("export")), "export")

    @requires("export_url")
    def test_export_no_permission(self, scope_env):
        # Export is a permission of its own (F-SEC-2): viewing is not enough.
        for user in (scope_env.nobody, scope_env.reader):
            client = self.login(user)
            marks = snapshot()
            self.assert_status(client.get(self.url("export")), 403, f"export by {user.username}")
            assert_nothing_written(marks)

    @requires("export_url")
    def test_export_full(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        client = self.login(scope_env.full)
        marks = snapshot()
        response = client.get(self.url("export"))
        self.assert_status(response, 200, "export with full permission")
        text = self.page_text(response)
        if text:
            for obj in (inside, outside):
                assert self.export_marker(obj) in text, f"export misses {obj!r}"
        if self.export_audit_event:
            rows = assert_recorded(marks, "web")
            assert any(isinstance(r, AuditEvent) and r.event_type == self.export_audit_event for r in rows), (
                f"no {self.export_audit_event} audit event"
            )

    @requires("export_url", "constrained_scope")
    def test_export_constrained(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        response = self.login(scope_env.constrained).get(self.url("export"))
        self.assert_status(response, 200, "export with constrained scope")
        text = self.page_text(response)
        if text:
            assert self.export_marker(inside) in text, f"export misses in-scope {inside!r}"
            assert self.export_marker(outside) not in text, f"export contains out-of-scope {outside!r}"


# ---------------------------------------------------------------- API


class APIScopeTests(ScopeMatrix):
    @staticmethod
    def _json(client, method, url, payload=None):
        return getattr(client, method)(url, data=json.dumps(payload) if payload is not None else None, content_type="application/json")

    def _api_refused(self, client, method, url, payload, expected, what):
        marks, before = snapshot(), self.count()
        self.assert_status(self._json(client, method, url, payload), expected, what)
        assert_nothing_written(marks)
        assert self.count() == before

    # list
    @requires("api_basename", api="list")
    def test_api_list_anonymous(self, scope_env):
        self.assert_status(APIClient().get(self.api_url()), (401, 403), "anonymous API list")

    @requires("api_basename", api="list")
    def test_api_list_no_permission(self, scope_env):
        self.assert_status(self.api_login(scope_env.nobody).get(self.api_url()), 403, "API list without permission")

    @requires("api_basename", api="list")
    def test_api_list_full(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        response = self.api_login(scope_env.full).get(self.api_url())
        self.assert_status(response, 200, "API list with full permission")
        ids = self.api_ids(response)
        assert inside.pk in ids and outside.pk in ids

    @requires("api_basename", "constrained_scope", api="list")
    def test_api_list_constrained(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        response = self.api_login(scope_env.constrained).get(self.api_url())
        self.assert_status(response, 200, "API list with constrained scope")
        ids = self.api_ids(response)
        assert inside.pk in ids, "API list misses an in-scope object"
        assert outside.pk not in ids, "API list shows an out-of-scope object"

    @requires("api_basename", api="list")
    def test_api_list_query_count(self, scope_env):
        assert_no_n_plus_one(
            self.api_login(scope_env.full), self.api_url(), lambda: self.make_object(scope_env), max_queries=self.api_list_max_queries
        )

    # retrieve
    @requires("api_basename", api="retrieve")
    def test_api_retrieve(self, scope_env):
        inside, outside = self.make_object(scope_env), self.make_object(scope_env, in_scope=False)
        self.assert_status(APIClient().get(self.api_url(inside)), (401, 403), "anonymous API retrieve")
        self.assert_status(self.api_login(scope_env.nobody).get(self.api_url(inside)), 403, "API retrieve without permission")
        self.assert_status(self.api_login(scope_env.full).get(self.api_url(outside)), 200, "API retrieve with full permission")
        if self.constrained_scope:
            client = self.api_login(scope_env.constrained)
            self.assert_status(client.get(self.api_url(inside)), 200, "API retrieve of an in-scope object")
            self.assert_status(client.get(self.api_url(outside)), 404, "API retrieve of an out-of-scope object")

    # create
    @requires("api_basename", api="create")
    def test_api_create_refused(self, scope_env):
        self._api_refused(APIClient(), "post", self.api_url(), self.api_payload(scope_env), (401, 403), "anonymous API create")
        for user in (scope_env.nobody, scope_env.reader):
            self._api_refused(
                self.api_login(user), "post", self.api_url(), self.api_payload(scope_env), 403, f"API create by {user.username}"
            )
        payload = self.api_out_of_scope_payload(scope_env) if self.constrained_scope else None
        if payload is not None:
            self._api_refused(
                self.api_login(scope_env.constrained), "post", self.api_url(), payload, (400, 403, 404), "API create outside the scope"
            )

    @requires("api_basename", api="create")
    def test_api_create_full(self, scope_env):
        client = self.api_login(scope_env.full)
        marks, before = snapshot(), self.count()
        self.assert_status(self._json(client, "post", self.api_url(), self.api_payload(scope_env)), 201, "API create with full permission")
        assert self.count() == before + 1
        assert_recorded(marks, "api")

    # update
    @requires("api_basename", api="update")
    def test_api_update_refused(self, scope_env):
        obj = self.make_object(scope_env)
        before = field_values(obj)
        self._api_refused(
            APIClient(), "patch", self.api_url(obj), self.api_update_payload(scope_env, obj), (401, 403), "anonymous API update"
        )
        for user in (scope_env.nobody, scope_env.reader):
            self._api_refused(
                self.api_login(user),
                "patch",
                self.api_url(obj),
                self.api_update_payload(scope_env, obj),
                403,
                f"API update by {user.username}",
            )
        assert field_values(obj) == before

    @requires("api_basename", api="update")
    def test_api_update_full(self, scope_env):
        obj = self.make_object(scope_env, in_scope=False)
        client = self.api_login(scope_env.full)
        marks = snapshot()
        response = self._json(client, "patch", self.api_url(obj), self.api_update_payload(scope_env, obj))
        self.assert_status(response, 200, "API update with full permission")
        assert_recorded(marks, "api")

    @requires("api_basename", "constrained_scope", api="update")
    def test_api_update_constrained(self, scope_env):
        outside = self.make_object(scope_env, in_scope=False)
        before = field_values(outside)
        payload = self.api_update_payload(scope_env, outside)
        self._api_refused(
            self.api_login(scope_env.constrained), "patch", self.api_url(outside), payload, 404, "API update of an out-of-scope object"
        )
        assert field_values(outside) == before

    # delete
    @requires("api_basename", api="delete")
    def test_api_delete_refused(self, scope_env):
        obj = self.make_object(scope_env)
        self._api_refused(APIClient(), "delete", self.api_url(obj), None, (401, 403), "anonymous API delete")
        for user in (scope_env.nobody, scope_env.reader):
            self._api_refused(self.api_login(user), "delete", self.api_url(obj), None, 403, f"API delete by {user.username}")
        field_values(obj)

    @requires("api_basename", api="delete")
    def test_api_delete_full(self, scope_env):
        obj = self.make_object(scope_env, in_scope=False)
        client = self.api_login(scope_env.full)
        marks = snapshot()
        self.assert_status(client.delete(self.api_url(obj)), (200, 204), "API delete with full permission")
        self.assert_deleted(obj)
        assert_recorded(marks, "api")

    @requires("api_basename", "constrained_scope", api="delete")
    def test_api_delete_constrained(self, scope_env):
        outside = self.make_object(scope_env, in_scope=False)
        before = field_values(outside)
        self._api_refused(
            self.api_login(scope_env.constrained), "delete", self.api_url(outside), None, 404, "API delete of an out-of-scope object"
        )
        assert field_values(outside) == before


class ScopedObjectTests(
    APIScopeTests, ExportScopeTests, DeleteScopeTests, EditScopeTests, CreateScopeTests, DetailScopeTests, ListScopeTests
):
    """Every web view and API action in one mixin; declare the ones the model has. (Bases in
    reverse, so pytest runs list, detail, create, edit, delete, export, API in that order.)"""


def scope_test_classes() -> list[type[ScopeMatrix]]:
    """Concrete scope test classes (those declaring `model`) among the imported modules."""
    out, todo = [], list(ScopeMatrix.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.model is not None and cls not in out:
            out.append(cls)
    return out
