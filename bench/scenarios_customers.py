"""Customer-archive scenarios (issue 3): the list page for three data scopes, each search kind,
the live duplicate check, and the import of a large xlsx (throughput and peak memory).

Targets from the issue: list page and each search kind p95 server time ≤ 50 ms and within 3×
the bare SQL for the same rows; duplicate check ≤ 20 ms p95; import ≥ 2,000 rows/s with the
worker under 1 GiB.

Request scenarios cycle through several query variants sampled from the generated data (a
fixed seed), so a run is not one cached query repeated. Each also times its *bare SQL*: the
SELECTs on the customer tables that the same request ran (captured with Django's
CaptureQueriesContext after the measured runs) executed again through a plain cursor, with
every row fetched, once per measured run.

A scenario whose page or function is not built yet raises NotMeasured and is reported as such.

    python -m bench.scenarios_customers import-worker --rows 100000   # used by the import batch
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time

from bench.scenarios import BatchResult, Figure, NotMeasured, _client_for, batch, scenario

LIST_TARGET_MS = 50.0
DUPLICATE_TARGET_MS = 20.0
BARE_RATIO = 3.0
VARIANTS = 10
IMPORT_ROWS = {"spec": 100_000, "small": 5_000}
IMPORT_RATE_TARGET = 2_000
IMPORT_MEMORY_TARGET_MIB = 1024


# ---------------------------------------------------------------------------------- helpers


def _url(url_name: str, /, **query) -> str:
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse(url_name)
    except NoReverseMatch as exc:
        raise NotMeasured(f"the URL {url_name} does not exist yet") from exc
    return f"{url}?{urlencode(query)}" if query else url


def _customer_sql(captured) -> list[str]:
    """The SELECTs of a request that read customer-archive tables."""
    out = []
    for q in captured:
        sql = q["sql"]
        head = sql.lstrip().upper()
        if head.startswith("SELECT") and ('"customers_' in sql or "customers_" in sql):
            out.append(sql)
    return out


SLOW_PLAN_MS = 100.0  # a bare statement slower than this gets its plan into the report


def _slow_plans(sqls: list[str]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement that takes longer than SLOW_PLAN_MS now: a
    plan that flips with the statistics of one run is caught in that run's report."""
    from django.db import connection

    plans = []
    with connection.cursor() as cur:
        for sql in sqls:
            started = time.perf_counter()
            cur.execute(sql)
            cur.fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            if elapsed > SLOW_PLAN_MS and connection.vendor == "postgresql":
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cur.fetchall())
                plans.append(f"{elapsed:.0f} ms:\n{sql}\n\n{plan}")
    return plans


def _timed_bare(sqls: list[str]) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        for sql in sqls:
            cur.execute(sql)
            cur.fetchall()
    return (time.perf_counter() - started) * 1000


def _request_scenario(username: str, urls: list[str], headers: dict | None = None):
    """A `once` callable cycling through `urls` as `username` (with extra request `headers`,
    e.g. HTTP_HX_REQUEST), with `once.bare(runs)`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        client = _client_for(username)
    except Exception as exc:  # the demo login is missing
        raise NotMeasured(f"no user {username}: {exc}") from exc
    client.defaults.update(headers or {})
    for url in urls:  # every variant once, so no measured run is the first read of its rows
        first = client.get(url)
        if first.status_code != 200:
            raise NotMeasured(f"GET {url} as {username} answered HTTP {first.status_code}")
    counter = itertools.count()

    def once():
        return client.get(urls[next(counter) % len(urls)])

    def bare(runs: int) -> list[float]:
        sql_by_url = {}
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            sql_by_url[url] = _customer_sql(ctx.captured_queries)
        timings = [_timed_bare(sql_by_url[urls[i % len(urls)]]) for i in range(runs)]
        once.slow_plans = [plan for url in urls for plan in _slow_plans(sql_by_url[url])]
        return timings

    once.bare = bare
    return once


def _sample_customers(n: int, seed: str, **filters) -> list:
    """n customers spread over the id range (deterministic for a seed)."""
    from django.db.models import Max, Min

    from guanxi.customers.models import Customer

    qs = Customer.objects.filter(merged_into__isnull=True, **filters)
    bounds = qs.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        raise NotMeasured("no customers in the database")
    rng = random.Random(seed)
    out = []
    for _ in range(n * 3):
        pk = rng.randint(bounds["lo"], bounds["hi"])
        c = qs.filter(pk__gte=pk).order_by("pk").first()
        if c is not None and c not in out:
            out.append(c)
        if len(out) == n:
            break
    return out


def _sample_contacts(n: int, seed: str, **filters) -> list:
    from django.db.models import Max, Min

    from guanxi.customers.models import Contact

    qs = Contact.objects.filter(**filters)
    bounds = qs.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        raise NotMeasured("no contacts in the database")
    rng = random.Random(seed)
    out = []
    for _ in range(n * 3):
        c = qs.filter(pk__gte=rng.randint(bounds["lo"], bounds["hi"])).order_by("pk").first()
        if c is not None and c not in out:
            out.append(c)
        if len(out) == n:
            break
    return out


def _region_pk(code: str) -> int:
    from guanxi.accounts.models import Region

    pk = Region.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        raise NotMeasured(f"no region {code}")
    return pk


# ------------------------------------------------------------------------------- list pages

LIST_TEXT = (
    "GET the customer list (`customers:list`), first page of 50, as {who}: {what}. The list "
    "counts nothing (keyset pages on the default sort, offset pages otherwise)."
)


@scenario(
    "customers_list_rep",
    title="Customer list, sales rep (own customers, newest first)",
    description=LIST_TEXT.format(
        who="the sales rep `rep` (data scope: own customers and team memberships)", what="no filter, default sort (newest first)"
    ),
    order=100,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def customers_list_rep():
    return _request_scenario("rep", [_url("customers:list"), _url("customers:list", sort="-created_at")])


@scenario(
    "customers_list_manager",
    title="Customer list, department manager (unit tree, filtered)",
    description=LIST_TEXT.format(
        who="the department manager `manager` (data scope: the 销售一部 unit tree)",
        what="filtered by status (active) and category (direct user / distributor), default sort",
    ),
    order=101,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def customers_list_manager():
    return _request_scenario(
        "manager",
        [_url("customers:list", status="active", category="direct"), _url("customers:list", status="active", category="distributor")],
    )


@scenario(
    "customers_list_gm",
    title="Customer list, general manager (everything, filtered and sorted)",
    description=LIST_TEXT.format(
        who="the general manager `gm` (data scope: all customers)",
        what="filtered by category and region (a 片区 with its provinces and cities), sorted by name; "
        "and by completeness ascending (the archivist's view of the worst records)",
    ),
    order=102,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def customers_list_gm():
    east = _region_pk("cn-east")
    south = _region_pk("cn-south")
    return _request_scenario(
        "gm",
        [
            _url("customers:list", category="distributor", region=east, sort="name"),
            _url("customers:list", category="direct", region=south, sort="name"),
            _url("customers:list", sort="completeness"),
        ],
    )


# ----------------------------------------------------------------------------------- search

SEARCH_TEXT = (
    "GET `customers:search?q=…` as the header's search box asks it while the user types (htmx: "
    "`HX-Request: true`, answered with the drop-down of the first 8 matches, no page shell) as the "
    "general manager `gm` (no scope narrowing: the whole archive), {what}; {n} different queries "
    "taken from the generated data, in turn."
)


def _search(queries: list[str], *, typed: bool = True):
    if not queries:
        raise NotMeasured("no sample values in the database")
    headers = {"HTTP_HX_REQUEST": "true"} if typed else {}
    return _request_scenario("gm", [_url("customers:search", q=q) for q in queries], headers=headers)


@scenario(
    "search_name",
    title="Search: name prefix",
    description=SEARCH_TEXT.format(what="the first four characters of a customer name (e.g. 南京宏达)", n=VARIANTS),
    order=110,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_name():
    return _search([c.name.strip()[:4] for c in _sample_customers(VARIANTS, "name")])


@scenario(
    "search_page",
    title="Search results page (Enter in the header box): name prefix",
    description="GET the whole search page (`customers:search?q=…`, up to 50 matches, with the page "
    "shell) as the general manager `gm`, the first four characters of a customer name; "
    f"{VARIANTS} different queries in turn.",
    order=117,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_page():
    return _search([c.name.strip()[:4] for c in _sample_customers(VARIANTS, "name")], typed=False)


@scenario(
    "search_initials",
    title="Search: pinyin initials",
    description=SEARCH_TEXT.format(what="the pinyin initials of a name's first five characters (e.g. njhdg)", n=VARIANTS),
    order=111,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_initials():
    return _search([c.initials[:5] for c in _sample_customers(VARIANTS, "initials") if len(c.initials) >= 4])


@scenario(
    "search_phone",
    title="Search: phone number",
    description=SEARCH_TEXT.format(what="a customer's landline as written (025-84561234)", n=VARIANTS),
    order=112,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_phone():
    return _search([c.phone for c in _sample_customers(VARIANTS, "phone", phone_key__gt="")])


@scenario(
    "search_mobile",
    title="Search: contact mobile",
    description=SEARCH_TEXT.format(what="a contact's mobile number (13812345678)", n=VARIANTS),
    order=113,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_mobile():
    return _search([c.mobile for c in _sample_contacts(VARIANTS, "mobile", mobile__gt="")])


@scenario(
    "search_credit_code",
    title="Search: unified social credit code",
    description=SEARCH_TEXT.format(what="a complete 18-character credit code", n=VARIANTS),
    order=114,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_credit_code():
    return _search([c.credit_code for c in _sample_customers(VARIANTS, "credit", credit_code__gt="")])


@scenario(
    "search_contact",
    title="Search: contact name",
    description=SEARCH_TEXT.format(
        what="a contact's full name (common Chinese names: one name matches many contacts, of which the search takes the first 500)",
        n=VARIANTS,
    ),
    order=115,
    target_ms=LIST_TARGET_MS,
    bare_ratio=BARE_RATIO,
)
def search_contact():
    return _search([c.name for c in _sample_contacts(VARIANTS, "contact")])


# ------------------------------------------------------------------------- duplicate check


@scenario(
    "duplicate_check",
    title="Duplicate check of one new record (create form, live)",
    description="GET `customers:duplicate_check` (the HTMX fragment the create form asks for while "
    "typing) as the sales rep `rep`, with name, phone and credit code of a new record: half are "
    "another spelling of an existing customer (有限责任公司 for 有限公司, a full-width space, its "
    "phone), half a name that is not in the archive. The check runs across the whole database "
    "(customers.duplicates.find_duplicates), whatever the user's scope.",
    order=120,
    target_ms=DUPLICATE_TARGET_MS,  # the issue sets 20 ms and no ratio here; the bare SQL is still reported
)
def duplicate_check():
    try:
        from guanxi.customers import duplicates  # noqa: F401
    except ImportError as exc:
        raise NotMeasured("customers.duplicates is not built yet") from exc
    urls = []
    rng = random.Random("duplicates")
    for i, c in enumerate(_sample_customers(VARIANTS, "duplicate")):
        if i % 2 == 0:
            name = c.name.replace("有限公司", "有限责任公司") if c.name.endswith("有限公司") else c.name[:2] + "\u3000" + c.name[2:]
            urls.append(_url("customers:duplicate_check", name=name, phone=c.phone, credit_code=c.credit_code))
        else:
            name = f"{c.name[:2]}{rng.choice('甲乙丙丁戊己庚辛')}{rng.choice('子丑寅卯辰巳午未')}新材料科技有限公司"
            urls.append(_url("customers:duplicate_check", name=name, phone=f"025-6{rng.randrange(10**6, 10**7)}", credit_code=""))
    return _request_scenario("rep", urls)


# --------------------------------------------------------------------------------- import


@batch(
    "import_xlsx",
    title="Import of a large xlsx with duplicate check",
    description="customers.imports.bench_import(n) in a separate worker process (`python -m "
    "bench.scenarios_customers import-worker`): builds an n-row xlsx (100,000 rows at scale spec, "
    "5,000 at small), uploads it (content checks), maps the columns, analyses every row "
    "(validation, duplicates against the database and inside the file) and commits it in one "
    "transaction. Throughput = rows / (upload + preview + commit), the workbook's generation "
    "excluded; memory = the worker's peak resident set (getrusage ru_maxrss).",
    order=200,
)
def import_xlsx(scale: str) -> BatchResult:
    from bench.scenarios import BATCHES

    me = BATCHES["import_xlsx"]
    try:
        from guanxi.customers import imports
    except ImportError as exc:
        raise NotMeasured("customers.imports is not built yet") from exc
    if not hasattr(imports, "bench_import"):
        raise NotMeasured("customers.imports has no bench_import() yet")
    rows = IMPORT_ROWS.get(scale, 5_000)
    proc = subprocess.run(
        [sys.executable, "-m", "bench.scenarios_customers", "import-worker", "--rows", str(rows)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=3600,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise NotMeasured(f"the import worker failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    out = json.loads(lines[-1])
    result = out["result"]
    rate = result.get("rows_per_s") or 0
    rss_mib = out["max_rss_kib"] / 1024
    figures = [
        Figure("rows", f"{rows:,}"),
        Figure("job status", str(result.get("status"))),
        Figure("upload + preview", f"{result.get('upload_and_preview_s')} s"),
        Figure("commit", f"{result.get('commit_s')} s"),
        Figure(
            "throughput",
            f"{rate:,} rows/s",
            f"≥ {IMPORT_RATE_TARGET:,} rows/s",
            rate >= IMPORT_RATE_TARGET and result.get("status") == "done",
        ),
        Figure(
            "peak memory of the worker", f"{rss_mib:,.0f} MiB", f"< {IMPORT_MEMORY_TARGET_MIB:,} MiB", rss_mib < IMPORT_MEMORY_TARGET_MIB
        ),
    ]
    notes = f"Counts reported by the job: `{json.dumps(result.get('counts'), ensure_ascii=False)}`."
    if cleanup := out.get("cleanup"):
        notes += (
            f" Afterwards (not timed) the imported rows were deleted ({sum(cleanup['deleted'].values()):,} rows, "
            f"{cleanup['delete_s']} s) and their tables reindexed ({cleanup['reindex_s']} s), so later scenarios "
            "and runs on this database meet the generated data only."
        )
    if result.get("message"):
        notes += f" Message: {result['message']}"
    return BatchResult(me, figures=figures, notes=notes)


def _import_worker(rows: int) -> None:
    import resource

    from bench import django_env

    django_env.setup(os.environ["DATABASE_URL"])
    from guanxi.customers.imports import bench_import

    result = bench_import(rows)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cleanup = _remove_imported()
    print(json.dumps({"result": result, "max_rss_kib": usage.ru_maxrss, "cleanup": cleanup}, default=str))


def _remove_imported() -> dict:
    """The imported customers go again after the measurement (bench/cleanup.py), so the later
    scenarios and the next run on a reused database meet the generated data only."""
    from bench.cleanup import remove_customers
    from guanxi.accounts.models import User
    from guanxi.customers.imports import BENCH_ACTOR

    importer = User.objects.filter(username=BENCH_ACTOR).values_list("pk", flat=True).first()
    return remove_customers("created_by_id = %s", [importer]) if importer else {}


FINDINGS = """## Customer archive: causes of the misses and what was done

Found with EXPLAIN (ANALYZE, BUFFERS) and cProfile on the spec-scale database (1 million
customers plus imports, 3 million contacts) on this 2-core machine.

Fixed (issues 3 and 4):
- **Sorting the list**: an index per sortable column with the `-id` tie-break (migration
  `0007_bench_indexes`; completeness sort 369 ms → 3 ms) and (category, name, -id) for the
  manager's "category, by name" view (`0009_category_name_index`).
- **`SELECT DISTINCT`** of django-filter's multiple-choice filters (770 ms → 6 ms): `distinct=False`.
- **A sales rep's scope** (`Customer.scope_q`): `owner OR id IN (subquery of memberships)` kept the
  planner off the (owner, -id) index; the few membership ids are now read first and OR-ed as a
  literal list.
- **Joins before the LIMIT** (`customers/views.py` `_rows`): the page's ids are read first on the
  customer table alone, then the 50 rows with owner, unit, region and tags; `only()` loads just
  the shown columns.
- **Rendering** (the biggest share of the list's server time, not SQL): each `<option>` cost two
  template includes — selects are now built in Python (`core/form_renderer.py`, identical markup);
  the owner choice loads on demand (`core/widgets.RemoteSelect`, 1,000 options → 1); the row
  badges are simple tags instead of included templates; per-row translations are hoisted and the
  rows render under `{% localize off %}` (500 language lookups per page).
- **The page shell** (29–35 ms p50 for a dashboard that reads almost nothing): the principal
  (positions, roles, reporting lines) is kept in the shared cache under an access version that
  every change to users, positions, roles and units replaces; the menu is built once per
  permission set; the bell's unread count is cached per user; the benchmark runs with Redis for
  cache and sessions, as deployed. Dashboard 29 → 11–15 ms p50.
- **Search**: the header box asks for a drop-down of the first 8 matches while the user types
  (an htmx fragment without the page shell); the search reads the matching ids first, unordered,
  because `ORDER BY id DESC LIMIT n` walked the primary key backwards past 120,000 rows for a
  common contact name (124 ms → 2 ms); the pinyin trigram branch runs only for two-character
  Chinese queries (trigrams such as "ang" are in most names).
- **Duplicate check**: the trigram / LIKE '%…%' scan of the name key (48–265 ms for some names)
  is replaced by the trade name 字号 (`normalize.trade_key`, a B-tree column): names with the same
  字号 in another city or industry are "similar"; p95 199 → 15 ms.
- **Import duplicate lookups**: `name_key = ANY(array of 10,000 keys)` made the planner choose a
  bitmap scan of the trigram index (45 s per chunk); joining `unnest(array)` gives 10,000 B-tree
  lookups (14 ms).
- **Import commit** (61 s → 32–41 s for 100,000 rows): every search key had a plain index beside its
  pattern-ops twin, and history tables copied every index of their model (22 on the customer's
  history); one index per key now, and history tables keep only the record id and foreign keys.
  The pinyin of a name is computed once per word (the initials from the syllables).
- **The list's rows and filters**: the 50 rows are read as tuples — ids, then their
  columns with owner, unit and region names by join, then their tag names — and built in Python
  (`customers/list_rows.py`, the same markup; no model instances). The filter form's class is
  built once per FilterSet instead of per page view, its selects are written straight from the
  choices (`core/widgets.LeanSelect`, Django's markup), the field wrapper is Python
  (`bs_field`), the sidebar menu is one cached string per menu, language and active entry, the
  unit/region/tag options are kept per process under their version, and hot loops escape
  without Django's lazy-argument wrapper. List p50 on a quiet machine 36 → 22–25 ms.
- **Region filter** (general manager, 片区 south sorted by name, 26–60 ms of SQL): names begin with
  their city, so walking the category-name index met long runs of other regions. The region
  tree is read as an id list and the index carries the region (partial, live records only:
  migration `0012_category_name_region_index`): 34 → 4.5 ms.
- **Contact-name search** (p95 97 ms): two-character names (冯峰) also ran the "inside a company
  name" branch, whose pinyin trigrams ("fengfeng") read 40 ms of index entries. The drop-down now
  runs that branch only when the other branches find fewer customers than it shows (a common
  name fills it from contacts); the results page still runs it. The rows are re-read by id
  alone instead of repeating the conditions with their 500-id lists.
- **Import** (1,508–1,771 → 3,400 rows/s): one COPY stream per table on PostgreSQL (search
  keys, filing deadline and completeness computed while the database stores earlier rows;
  SQLite keeps batched inserts), the pinyin memo also covers digit and Latin runs of a name,
  the upload only counts the rows it checks, and validators take exact fast paths for valid
  values. Output compared byte for byte with the previous import on error, duplicate and
  update files.
- **Request floor**: a new scenario measures an empty signed-in page (session, user, principal,
  middleware): about 2 ms p50, 1.1–1.2 ms since the signed-in user row is kept in the shared
  cache until it is saved (`accounts.backends.PositionBackend.get_user`).
- **The list's Python side** (~25% of the list's server time): django-filter
  deep-copied every filter and Django every form field (with their querysets and choice lists)
  on each page view; the filter form now shares them (`customers/filters.py` `_SharedFields`,
  `_ShallowFilters`), keeps its cached-option fields per process, reads the three option-list
  versions in one cache round trip, and plain `<input>`s are written in Python like the selects.
  On PostgreSQL the page's rows and their tag names come in one statement instead of two ORM
  queries (`list_rows._rows_postgres`, checked equal to the ORM path).
- **A sales rep who is a team member (协作人)**: the scope `owner = me OR id IN (…)` made
  PostgreSQL walk the primary key backwards for "newest first" until 50 rows passed — 65 ms
  after a 100,000-row import of another owner (bare SQL 71 ms). The scope now declares its
  branches (`Customer.scope_branches`, `restrict_branches`); the list reads one page per branch,
  each on its own index (owner, -id), and merges them: 14 ms. A rep's other sorts (created,
  name, completeness …) read their own customers whole and then sort (`list_rows.fenced_ids_sql`):
  -created_at 76 → 23 ms. The shared scope matrix checks that the branches give exactly
  `restrict()` for every model; the list's pages forwards and back are tested against the
  plain scoped query for every sort.
- **Request floor and search hits**: the principal is kept in each process by its
  cache key (access version and day), and the access version comes in the same cache read as
  the user row: two cache round trips per signed-in request instead of four, floor 1.2 → 0.7 ms
  p50. A rep's and manager's team memberships (协作人) ride with the principal instead of a query
  per page view. The search reads the hit ids, then the hits' columns in one statement, and
  writes the hits in Python (8 hits cost 1.8 ms of template): name drop-down p95 12.3 → 5.6 ms,
  initials 12.7 → 6.5 ms (2.5×, now within 3×), results page 20.8 → 14.4 ms. Hits found through
  a contact now name it (one more query, only then).
- **The list's statement sent ahead**: the page's ids (scope, filters, sort) and
  their rows with owner, unit, region and tag names are one statement (`unnest(ARRAY(ids)) WITH
  ORDINALITY` joined to the customer), sent to PostgreSQL before the page renders and read when
  the template reaches the table (`core/ahead.py`: psycopg's pipeline mode on the request's own
  connection; `customers.views.LazyPage`). The database runs it while Python renders the shell
  and the filter form: list p95 20.3 / 21.9 / 23.6 → 14.9 / 14.1 / 15.6 ms (rep / manager /
  general manager), 2.7–2.9× the bare SQL. The bell's unread count now comes in the same cache
  read as the user row (one cache round trip fewer per page).
- **Region, unit and tag filters**: a chosen region, unit or tag is checked against
  the cached option list its select already offers, and the tree below a region or unit comes
  from cached (id, path) lists (`customers.filters.CachedModelChoiceFilter`): a filtered page view
  no longer queries `accounts_region` twice before its statement is sent. General manager's
  list, old and new code in turn: p50 about 1.5 ms lower.
- **Quota check on confirm** (issue 4): it counted a department's grade rows on the
  (unit, scheme, level) index — 24,000 entries, 6 ms when the visibility map was set, 40 ms after
  a run had rewritten the table, 20.7–22.5 ms p95 in full runs. The counts are now tallies per
  (unit, scheme, level) kept by database triggers on the grade rows (`grading/level_counts.py`:
  statement-level with transition tables on PostgreSQL, so the run's million-row upsert adds one
  grouped upsert). Isolated p95 16.5 → 5.2 ms; 4.0–8.7 ms across one round's five full runs
  (5.8 ms in this one); the grade run over a million customers is unchanged (37–50 s).
- **The reused benchmark database had grown**: every full run imports 100,000 customers with
  their contacts, and deleting them by hand between runs had left the customer and contact
  indexes two to two and a half times their fresh size (primary key 49 → 21 MB, (owner, -id)
  76 → 30 MB after REINDEX) and every bare SQL slower. The import batch now removes its own
  customers with everything hanging off them and reindexes their tables after measuring
  (`bench/cleanup.py`, about 30 s + 60 s, not timed), so the grade run meets the 1,000,000
  generated customers and a reused database stays comparable from run to run.

Still missing the targets, and why:
- **Within 3× of bare SQL when the SQL takes about 1 ms** (name, phone, mobile and credit-code
  drop-downs: 4.7–6.8× this run, 3.9–9.4× over the last rounds' runs; the results page:
  4.7×): an empty signed-in page costs 0.8–0.9 ms p50 and 0.9–1.3 ms p95, and these statements
  take 0.7–1.4 ms p95, so 3× leaves 2.1–4.2 ms for the floor, the search's query building and
  the hits. Timed
  inside one phone drop-down (3.5 ms): SQL 0.9 ms, query building and ORM 0.9 ms, hits 0.2 ms,
  the floor and the fragment 1.3 ms. Folding the two statements into one would save a round
  trip on both sides of the ratio, not change it (the same was tried for the duplicate check's
  key lookups, one UNION ALL instead of three to five statements: no faster, not kept). The
  drop-down has no page shell to overlap its SQL with. Every such page is well inside 50 ms;
  the ratio holds where the SQL is heavier (pinyin initials, contact names, the lists).
- **Run to run on this shared 2-core machine**: of one round's five full runs, three fell in
  slow spells of the host (lists 16–25 ms p50, dashboards about twice their usual time, the
  duplicate check 23.5 and 26.9 ms p95 in two of them); the same code timed in turn with the
  code of the round before showed no regression (search drop-down, general manager's list,
  duplicate check: equal or faster).
- **Duplicate check p95 near its 20 ms**: 13.2 ms p95 in this run; 12.9–26.9 ms across fifteen
  full runs on this shared machine, over 20 ms only in slow spells; a hit costs up to eight ~1 ms
  queries: the keys, the hits' rows, their blacklist entries and the scope check of the hits.
  The acting user's units for the blacklist flags now come from the cached principal instead
  of a query.

- **Contact-name search, now and then 450 ms**: in three of fifteen full runs (the latest:
  p95 471 ms, bare SQL 461 ms) one of the ten sampled names
  took about 455 ms of bare SQL; in the others, and in every isolated run, p95 stayed at 12–31
  ms. The runs differ in the statistics that ANALYZE samples just before them, so a plan flips;
  re-analysing six times in a row did not bring it back. The benchmark now writes the EXPLAIN
  (ANALYZE, BUFFERS) of any bare statement over 100 ms into its report, so the next run that
  meets it names the statement and its plan (none in this run).

Noticed, not fixed: a department manager's scope (the unit tree) sorted by a column other than
the id can meet the same uneven spread as the rep's (the sort column's index walked past other
units' rows); it was not slow in these runs, and reading a whole unit tree to sort it would be
slower for a large one, so it is left to the planner.
"""


def _findings() -> str:
    return FINDINGS


def _register_findings() -> None:
    from bench import report

    if _findings not in report.SECTIONS:
        report.SECTIONS.append(_findings)


_register_findings()


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.scenarios_customers")
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("import-worker", help="run customers.imports.bench_import(n) and print JSON with the peak memory")
    worker.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.command == "import-worker":
        _import_worker(args.rows)


if __name__ == "__main__":
    main()
