"""Excel/CSV import of customers (F-CUS-8): upload → column mapping → preview → commit.

- `start_import(actor=, upload=)` checks the file (customers.xlsx: size, content, zip bombs,
  XML) and stores an ImportJob with the columns and an automatic mapping of common Chinese
  headers (客户名称, 统一社会信用代码, 联系人, 手机, 地址…).
- `set_mapping(job, actor=, mapping=)` fixes which column feeds which field.
- `analyse(job)` reads every row, validates it (customers.validators), looks for duplicates
  against the database and inside the file, and stores the preview, the counts and an xlsx error
  report listing every bad row with its messages. Nothing is written to the customer tables.
- `commit(job, actor=, decisions=)` re-reads the file, refuses while any row has an error or
  when the duplicates changed since the preview, then writes everything in one transaction
  (all or nothing) with bulk inserts: keys computed in Python, duplicates found by set lookups
  of name_key / credit_code / phone keys (one query per 2,000 keys, never one per row), field
  history through simple-history's bulk utilities, one `customers.imported` audit event.
  Each duplicate row is skipped (default) or, on "update", merged into the existing customer
  (duplicates against the database, only when it is in the importer's change scope) or into
  the earlier row of the file (duplicates inside the file).
- Files of more than LARGE_IMPORT_ROWS rows run as Celery tasks (customers.tasks_imports);
  `progress_of(job)` reads the progress (cache first, so it shows during the transaction).
- `bench_import(n)` builds an n-row xlsx and times the whole path.

Every job belongs to its creator: `jobs_for(user)` is the only way views find one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import operator
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import EmailValidator, URLValidator
from django.db import connection, transaction
from django.db.models import JSONField, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import audit, context
from guanxi.core.errors import DomainError, NotAllowed

from . import import_retention, xlsx
from .models import (
    Category,
    Contact,
    Customer,
    ImportJob,
    ImportStatus,
    Nature,
    Scale,
    Source,
    SpecialKind,
    Status,
    Tag,
)
from .normalize import _NOT_WORD, PhoneError, PhoneNumber, fold, name_key, parse_phone, trade_key
from .validators import CREDIT_CODE_CHARS, CREDIT_CODE_WEIGHTS, normalize_mobile, normalize_phone, validate_credit_code

log = logging.getLogger(__name__)

LARGE_IMPORT_ROWS = 2000
BATCH_SIZE = 2000
PREVIEW_LIMIT = 500
IMPORT_PERMISSION = "customers.import_customer"
SKIP, UPDATE = "skip", "update"


# ------------------------------------------------------------------ fields and headers


@dataclass(frozen=True)
class ImportField:
    key: str
    label: object
    aliases: tuple[str, ...]
    kind: str = "text"  # text | choice | credit_code | phone | mobile | email | url | region | owner | date | money | bool | tags
    target: str = "customer"  # customer | contact
    attr: str = ""
    choices: type | None = None
    required: bool = False

    @property
    def field_name(self) -> str:
        return self.attr or self.key


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        gettext_lazy("Customer name"),
        ("客户名称", "客户全称", "客户", "公司名称", "企业名称", "单位名称", "名称", "公司", "customername", "customer", "company", "name"),
        required=True,
    ),
    ImportField("short_name", gettext_lazy("Short name"), ("客户简称", "简称", "shortname")),
    ImportField(
        "credit_code",
        gettext_lazy("Unified social credit code"),
        ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "纳税人识别号", "税号", "creditcode", "uscc"),
        kind="credit_code",
    ),
    ImportField(
        "category",
        gettext_lazy("Category"),
        ("客户类别", "客户类型", "客户分类", "类别", "类型", "分类", "category"),
        kind="choice",
        choices=Category,
    ),
    ImportField(
        "special_kind",
        gettext_lazy("Special kind"),
        ("特殊客户类型", "特殊类别", "特殊类型", "specialkind"),
        kind="choice",
        choices=SpecialKind,
    ),
    ImportField("industry", gettext_lazy("Industry"), ("所属行业", "行业", "industry")),
    ImportField("scale", gettext_lazy("Scale"), ("企业规模", "规模", "scale"), kind="choice", choices=Scale),
    ImportField(
        "nature", gettext_lazy("Enterprise nature"), ("企业性质", "单位性质", "性质", "所有制", "nature"), kind="choice", choices=Nature
    ),
    ImportField("supervising_unit", gettext_lazy("Supervising unit"), ("主管单位", "上级单位", "主管部门")),
    ImportField("region", gettext_lazy("Region"), ("所属区域", "所属地区", "地区", "区域", "片区", "region"), kind="region"),
    ImportField("address", gettext_lazy("Address"), ("公司地址", "详细地址", "注册地址", "经营地址", "客户地址", "地址", "address")),
    ImportField("website", gettext_lazy("Website"), ("公司网址", "网址", "网站", "官网", "website"), kind="url"),
    ImportField("business_scope", gettext_lazy("Business scope"), ("经营范围", "主营业务")),
    ImportField("registered_capital", gettext_lazy("Registered capital (¥)"), ("注册资本", "注册资金"), kind="money"),
    ImportField("legal_representative", gettext_lazy("Legal representative"), ("法定代表人", "法人代表", "法人")),
    ImportField(
        "phone",
        gettext_lazy("Phone"),
        ("公司电话", "联系电话", "办公电话", "固定电话", "座机", "电话", "phone", "tel", "telephone"),
        kind="phone",
    ),
    ImportField("fax", gettext_lazy("Fax"), ("传真", "fax")),
    ImportField(
        "email", gettext_lazy("Email"), ("公司邮箱", "邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"), kind="email"
    ),
    ImportField("source", gettext_lazy("Source"), ("客户来源", "来源", "source"), kind="choice", choices=Source),
    ImportField("status", gettext_lazy("Status"), ("客户状态", "状态", "status"), kind="choice", choices=Status),
    ImportField("is_key", gettext_lazy("Key customer"), ("是否重点客户", "重点客户", "关键客户", "key"), kind="bool"),
    ImportField(
        "owner", gettext_lazy("Owner"), ("负责人", "客户经理", "业务员", "销售员", "销售", "跟进人", "归属人", "owner"), kind="owner"
    ),
    ImportField(
        "first_contact_date",
        gettext_lazy("First contact"),
        ("首次接触日期", "首次接触", "首次联系日期", "首次联系", "首次拜访日期", "firstcontact"),
        kind="date",
    ),
    ImportField("tags", gettext_lazy("Tags"), ("标签", "tags"), kind="tags"),
    ImportField(
        "contact_name",
        gettext_lazy("Contact name"),
        ("联系人姓名", "联系人", "姓名", "contactname", "contact"),
        target="contact",
        attr="name",
    ),
    ImportField("contact_title", gettext_lazy("Contact title"), ("联系人职务", "职务", "职位", "title"), target="contact", attr="title"),
    ImportField("contact_phone", gettext_lazy("Contact phone"), ("联系人电话", "联系人座机"), kind="phone", target="contact", attr="phone"),
    ImportField(
        "contact_mobile",
        gettext_lazy("Contact mobile"),
        ("联系人手机", "联系人手机号", "手机号码", "手机号", "手机", "移动电话", "mobile"),
        kind="mobile",
        target="contact",
        attr="mobile",
    ),
    ImportField("contact_email", gettext_lazy("Contact email"), ("联系人邮箱", "联系人邮件"), kind="email", target="contact", attr="email"),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}

_BRACKETS = re.compile(r"[（(\[【][^）)\]】]*[）)\]】]")
_HEADER_JUNK = re.compile(r"[\s*＊:：_\-./、]+")


def header_key(text: str) -> str:
    """A header as compared with the aliases: half width, lower case, without spaces, required
    markers (*), colons and bracketed notes such as （必填）."""
    text = xlsx.halfwidth(str(text or "")).lower()
    text = _BRACKETS.sub("", text)
    return _HEADER_JUNK.sub("", text)


@lru_cache(maxsize=1)
def _alias_table() -> tuple[dict[str, str], list[tuple[str, str]]]:
    exact: dict[str, str] = {}
    for f in FIELDS:
        for alias in (*f.aliases, f.key):
            exact.setdefault(header_key(alias), f.key)
    by_length = sorted(((a, k) for a, k in exact.items() if len(a) >= 2), key=lambda ak: -len(ak[0]))
    return exact, by_length


def match_header(text: str) -> str | None:
    """The field a column title names, or None."""
    exact, by_length = _alias_table()
    key = header_key(text)
    if not key:
        return None
    if key in exact:
        return exact[key]
    parts = [header_key(p) for p in str(text).split() if header_key(p)]
    if parts and parts[-1] in exact and len(parts) > 1:
        return exact[parts[-1]]
    for alias, field_key in by_length:
        if alias in key:
            return field_key
    return None


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """{column index (str): field key} for the columns whose titles match, each field once."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for i, text in enumerate(headers):
        key = match_header(text)
        if key and key not in taken:
            mapping[str(i)] = key
            taken.add(key)
    return mapping


def field_choices() -> list[tuple[str, str]]:
    return [(f.key, str(f.label)) for f in FIELDS]


# ------------------------------------------------------------------ value parsing


class RowError(Exception):
    pass


_EMAIL = EmailValidator()
_URL = URLValidator(schemes=["http", "https"])
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "重点", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "x", "不是", ""}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")

# Chinese names of the choices, besides the codes and the translated labels.
CHOICE_SYNONYMS = {
    "category": {
        "供应商": "supplier",
        "供货商": "supplier",
        "经销商": "distributor",
        "分销商": "distributor",
        "代理商": "distributor",
        "协议客户": "agreement",
        "协议": "agreement",
        "直接用户": "direct",
        "直供用户": "direct",
        "终端用户": "direct",
        "直接客户": "direct",
        "特殊客户": "special",
        "特殊": "special",
        "网点": "outlet",
        "网点客户": "outlet",
    },
    "special_kind": {
        "银行": "bank",
        "政府": "government",
        "税务": "tax",
        "税务机关": "tax",
        "设计院": "design_institute",
        "广告": "advertising",
    },
    "scale": {
        "微型": "micro",
        "小型": "small",
        "中型": "medium",
        "大型": "large",
        "微": "micro",
        "小": "small",
        "中": "medium",
        "大": "large",
    },
    "nature": {
        "国有": "state",
        "国企": "state",
        "国有企业": "state",
        "民营": "private",
        "民企": "private",
        "私营": "private",
        "民营企业": "private",
        "外资": "foreign",
        "外企": "foreign",
        "外商投资": "foreign",
        "合资": "joint",
        "中外合资": "joint",
        "集体": "collective",
        "集体企业": "collective",
        "事业单位": "public",
        "个体": "individual",
        "个体户": "individual",
        "个体工商户": "individual",
    },
    "source": {
        "上门": "walk_in",
        "来访": "walk_in",
        "电话": "phone",
        "来电": "phone",
        "陌生拜访": "cold_visit",
        "陌拜": "cold_visit",
        "网络": "online",
        "网上": "online",
        "线上": "online",
        "直销": "direct",
        "展会": "exhibition",
        "介绍": "referral",
        "转介绍": "referral",
        "推荐": "referral",
    },
    "status": {
        "潜在": "potential",
        "潜在客户": "potential",
        "意向": "potential",
        "活跃": "active",
        "正常": "active",
        "合作中": "active",
        "成交": "active",
        "流失": "lost",
        "已流失": "lost",
        "黑名单": "blacklisted",
    },
}


def _choice_table(f: ImportField) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in f.choices.choices:
        table[header_key(value)] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                table.setdefault(header_key(str(label)), value)
    for name, value in CHOICE_SYNONYMS.get(f.key, {}).items():
        table.setdefault(header_key(name), value)
    return table


def parse_money(text: str) -> Decimal:
    raw = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("人民币", "").strip()
    factor = Decimal(1)
    for unit, mult in (("亿元", 10**8), ("万元", 10**4), ("亿", 10**8), ("万", 10**4), ("元", 1)):
        if raw.endswith(unit):
            raw, factor = raw[: -len(unit)].strip(), Decimal(mult)
            break
    try:
        value = (Decimal(raw) * factor).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise RowError(_("“%(value)s” is not an amount of money.") % {"value": text}) from exc
    if value < 0 or value >= Decimal(10) ** 14:
        raise RowError(_("“%(value)s” is not a plausible amount.") % {"value": text})
    return value


def parse_date(text: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial day number left unformatted
        day = int(float(text))
        if 20000 < day < 80000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=day)
    raise RowError(_("“%(value)s” is not a date; write it as 2024-03-15.") % {"value": text})


def _messages(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# ------------------------------------------------------------------ fast search keys


@lru_cache(maxsize=300_000)
def _word_pinyin(word: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.NORMAL)
    if len(syllables) == len(word):
        # One syllable per character: the initials are their first letters (what the
        # FIRST_LETTER style gives), without segmenting the word a second time.
        return "".join(syllables), "".join(s[:1] for s in syllables)
    return "".join(syllables), "".join(lazy_pinyin(word, style=Style.FIRST_LETTER))


def _han_runs():
    """A pattern splitting text into runs of characters pypinyin reads as Chinese and runs of
    other characters, exactly as its simple segmentation does (its RE_HANS, char by char)."""
    from pypinyin.constants import RE_HANS

    pattern = RE_HANS.pattern
    if not (pattern.startswith("^(?:[") and pattern.endswith("])+$")):  # pragma: no cover - another pypinyin
        return None
    return re.compile("(" + pattern[4:-3] + "+)")


_HAN_RUNS = _han_runs()


@lru_cache(maxsize=100_000)
def _han_run_words(run: str) -> tuple[str, ...]:
    """pypinyin's words of one run of Chinese characters (phrase segmentation), memoised: the
    runs of company names repeat (上海华新钢铁, 有限公司 …)."""
    from pypinyin.seg.simpleseg import seg

    return tuple(seg(run))


def _segment(text: str) -> list[str]:
    """pypinyin.core.Pinyin().seg(text): runs of other characters kept whole, runs of Chinese
    characters segmented into phrases (each run on its own, so the runs can be memoised)."""
    if _HAN_RUNS is None:  # pragma: no cover
        from pypinyin.core import Pinyin

        return Pinyin().seg(text)
    words: list[str] = []
    for i, run in enumerate(_HAN_RUNS.split(text)):
        if not run:
            continue
        if i % 2:  # a captured run of Chinese characters
            words += _han_run_words(run)
        else:
            words.append(run)
    return words


def pinyin_keys(name: str) -> tuple[str, str]:
    """Same result as customers.normalize.pinyin_keys, many times faster for many names: the
    text is segmented once, runs of Chinese characters and each word's pinyin are memoised, and
    other characters (digits, Latin letters) are their own pinyin and initials (pypinyin keeps
    characters without a reading as they are, in every style)."""
    text = fold(name).lower()
    if not text:
        return "", ""
    # Most names end in a company form (有限公司 …), a word of its own: segment only the part
    # before it, whose words vary, and take the form's pinyin from the memo.
    tail = next((s for s in _PINYIN_TAILS if text.endswith(s) and len(text) > len(s)), "")
    words = [*_segment(text[: len(text) - len(tail)]), tail] if tail else _segment(text)
    full, initials = [], []
    for word in words:
        if _HAN_RUNS is not None and not _HAN_RUNS.match(word):
            full.append(word)
            initials.append(word)
            continue
        a, b = _word_pinyin(word)
        full.append(a)
        initials.append(b)
    return _NOT_WORD.sub("", "".join(full))[:400], _NOT_WORD.sub("", "".join(initials))[:100]


_PINYIN_TAILS = ("股份有限公司", "有限责任公司", "有限公司")


# Phone numbers: customers.normalize.parse_phone (phonenumbers) costs ~50 µs a call. Whether a
# mainland number is valid, its kind and its area code never depend on its last four digits, so
# the parse of "<all but the last four>0000" is memoised and the last four put back; anything
# unusual (extensions, letters, short numbers) and every error go through the full parse.
_SIMPLE_PHONE = re.compile(r"[+\d\s\-()]*\d{4}")


@lru_cache(maxsize=100_000)
def _phone_template(template: str):
    try:
        return parse_phone(template)
    except PhoneError as exc:
        return exc.code


def _fast_phone(text: str) -> tuple[str, str, str] | None:
    """(kind, digits, formatted) of a folded number through the memo of its prefix; None when
    it needs the full parse. Raises PhoneError like parse_phone."""
    if _SIMPLE_PHONE.fullmatch(text):
        head = text[:-4]
        if sum(map(str.isdigit, head)) >= 6:
            r = _phone_template(head + "0000")
            if isinstance(r, str):
                raise PhoneError(r)
            if not r.extension and r.digits.endswith("0000") and r.display.endswith("0000"):
                tail = text[-4:]
                return r.kind, r.digits[:-4] + tail, r.display[:-4] + tail
    return None


def fast_parse_phone(raw: str):
    """customers.normalize.parse_phone, memoised by number prefix (see above)."""
    r = _fast_phone(fold(raw))
    if r is not None:
        return PhoneNumber(r[0], r[1], r[2], "")
    return parse_phone(raw)


def fast_phone_key(raw: str) -> str:
    if not raw:
        return ""
    try:
        r = _fast_phone(fold(raw))
        return r[1] if r is not None else parse_phone(raw).digits
    except PhoneError:
        return ""


def _phone_value(text: str, *, mobile: bool) -> str:
    """The stored form (validators.normalize_mobile / normalize_phone), their message on error."""
    try:
        r = _fast_phone(fold(text))
        if r is None:
            number = parse_phone(text)
            r = (number.kind, number.digits, number.formatted)
    except PhoneError:
        r = None
    if r is None or (mobile and r[0] != "mobile"):
        try:
            return (normalize_mobile if mobile else normalize_phone)(text)
        except ValidationError as exc:
            raise RowError(_messages(exc)) from exc
    return r[1] if mobile else r[2]


# Valid credit codes and plain e-mail addresses are accepted by a cheaper test that can only
# say yes where the full validator says yes; anything else goes through the validator (and
# its message).
_CREDIT_CODE_JUNK = re.compile(r"[\s\-]+")
_CREDIT_CODE_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
_CREDIT_CODE_VALUES = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARS)}


def _credit_code_value(text: str) -> str:
    """validators.validate_credit_code, with its message as a RowError."""
    value = _CREDIT_CODE_JUNK.sub("", fold(text)).upper()
    if len(value) == 18 and _CREDIT_CODE_SHAPE.fullmatch(value):
        values = _CREDIT_CODE_VALUES
        total = sum(values[ch] * w for ch, w in zip(value[:17], CREDIT_CODE_WEIGHTS))  # noqa: B905 - both 17 long
        if CREDIT_CODE_CHARS[(31 - total % 31) % 31] == value[17]:
            return value
    try:
        return validate_credit_code(text)
    except ValidationError as exc:
        raise RowError(_messages(exc)) from exc


# A subset of what django's EmailValidator accepts: a dot-atom of letters, digits and _ + -,
# host labels of letters, digits and inner hyphens, a top-level domain of letters.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


# ------------------------------------------------------------------ the rows


class Row:
    """One data row of the file while it is analysed or committed."""

    __slots__ = ("cells", "contact", "customer", "errors", "extra_contacts", "file_dup_of", "hits", "keys", "number", "tags")

    def __init__(self, number: int, cells: list[str]):
        self.number = number
        self.cells = cells
        self.customer: dict = {}
        self.contact: dict | None = None
        self.extra_contacts: list[dict] = []
        self.tags: list[str] = []
        self.errors: list[str] = []
        self.keys: tuple[str, str, tuple[str, ...]] = ("", "", ())  # name key, credit code, phone keys
        self.file_dup_of: int | None = None
        self.hits: dict[int, set[str]] = {}

    @property
    def name(self) -> str:
        return self.customer.get("name", "") or (self.cells[0] if self.cells else "")

    @property
    def is_duplicate(self) -> bool:
        return bool(self.file_dup_of or self.hits)


@dataclass
class Lookups:
    """Reference data loaded once per analysis."""

    actor_id: int
    add_level: str
    unit_ids: set[int]
    unit_paths: list[str]
    subordinate_ids: set[int]
    regions: dict[str, list[int]]
    users: dict[str, list[int]]
    user_units: dict[int, tuple[int, str]]  # user id -> (unit id, unit path)
    choices: dict[str, dict[str, str]]
    choice_memo: dict[str, dict[str, str | None]] = field(default_factory=dict)  # field key -> {cell text: value}

    @classmethod
    def load(cls, actor, fields: Iterable[ImportField]) -> Lookups:
        from guanxi.accounts.access import principal_for
        from guanxi.accounts.models import Position, Region, User

        principal = principal_for(actor)
        if principal is None:
            raise NotAllowed(_("You may not import customers."))
        level = principal.scope_level(Customer, "add") or "self"
        wanted = {f.key for f in fields}
        regions: dict[str, list[int]] = {}
        if "region" in wanted:
            for pk, name, code in Region.objects.filter(is_active=True).values_list("pk", "name", "code"):
                for key in {header_key(name), header_key(code)}:
                    if key:
                        regions.setdefault(key, []).append(pk)
        users: dict[str, list[int]] = {}
        if "owner" in wanted:
            for pk, username, full_name, employee_no in User.objects.filter(is_active=True).values_list(
                "pk", "username", "full_name", "employee_no"
            ):
                for key in {username.lower(), (full_name or "").strip().lower(), (employee_no or "").strip().lower()}:
                    if key and pk not in users.setdefault(key, []):
                        users[key].append(pk)
        today = timezone.localdate()
        user_units: dict[int, tuple[int, str]] = {}
        positions = (
            Position.objects.filter(unit__is_active=True)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .order_by("pk")
            .values_list("user_id", "unit_id", "unit__path")
        )
        if "owner" not in wanted:
            positions = positions.filter(user_id=actor.pk)
        for user_id, unit_id, path in positions:
            user_units.setdefault(user_id, (unit_id, path))
        choices = {f.key: _choice_table(f) for f in fields if f.kind == "choice"}
        return cls(
            actor.pk,
            level,
            set(principal.unit_ids),
            list(principal.unit_paths),
            set(principal.subordinate_ids),
            regions,
            users,
            user_units,
            choices,
        )

    def owner_allowed(self, user_id: int, unit_path: str) -> bool:
        if self.add_level == "all" or user_id == self.actor_id:
            return True
        if self.add_level == "subordinates":
            return user_id in self.subordinate_ids
        if self.add_level == "unit":
            return any(unit_path == p for p in self.unit_paths)
        if self.add_level == "unit_tree":
            return any(unit_path.startswith(p) for p in self.unit_paths)
        return False


_UNKNOWN = object()


def _parse_value(f: ImportField, text: str, lookups: Lookups):
    kind = f.kind
    if kind == "text":
        limit = _max_length(f)
        if limit and len(text) > limit:
            raise RowError(_("%(field)s is too long: at most %(max)d characters.") % {"field": f.label, "max": limit})
        return text
    if kind == "credit_code":
        return _credit_code_value(text)
    if kind == "phone":
        return _phone_value(text, mobile=False)
    if kind == "mobile":
        return _phone_value(text, mobile=True)
    if kind == "email":
        if len(text) <= 320 and _PLAIN_EMAIL.fullmatch(text):
            return text
        try:
            _EMAIL(text)
        except ValidationError as exc:
            raise RowError(_("“%(value)s” is not an email address.") % {"value": text}) from exc
        return text
    if kind == "url":
        value = text if "://" in text else "http://" + text
        try:
            _URL(value)
        except ValidationError as exc:
            raise RowError(_("“%(value)s” is not a website address.") % {"value": text}) from exc
        return text[:200]
    if kind == "choice":
        memo = lookups.choice_memo.setdefault(f.key, {})
        value = memo.get(text, _UNKNOWN)
        if value is _UNKNOWN:
            value = memo[text] = lookups.choices[f.key].get(header_key(text))
        if value is None:
            allowed = "、".join(str(label) for _v, label in f.choices.choices)
            raise RowError(
                _("%(field)s “%(value)s” is unknown; use one of: %(allowed)s.") % {"field": f.label, "value": text, "allowed": allowed}
            )
        return value
    if kind == "region":
        ids = lookups.regions.get(header_key(text), [])
        if not ids:
            raise RowError(_("Region “%(value)s” does not exist.") % {"value": text})
        if len(ids) > 1:
            raise RowError(_("Several regions are called “%(value)s”; use the region code instead.") % {"value": text})
        return ids[0]
    if kind == "owner":
        ids = lookups.users.get(text.strip().lower(), [])
        if not ids:
            raise RowError(_("Owner “%(value)s” is not an active user.") % {"value": text})
        if len(ids) > 1:
            raise RowError(_("Several users are called “%(value)s”; use the user name or employee number instead.") % {"value": text})
        return ids[0]
    if kind == "date":
        return parse_date(text)
    if kind == "money":
        return parse_money(text)
    if kind == "bool":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise RowError(_("%(field)s must be 是 or 否, not “%(value)s”.") % {"field": f.label, "value": text})
    if kind == "tags":
        names = [t.strip() for t in re.split(r"[,，、;；|/]", text) if t.strip()]
        too_long = [t for t in names if len(t) > 40]
        if too_long:
            raise RowError(_("Tag “%(value)s” is too long: at most 40 characters.") % {"value": too_long[0]})
        return names
    raise RowError(f"unknown kind {kind}")  # pragma: no cover - programming error


_MAX_LENGTHS: dict[str, int | None] = {}


def _max_length(f: ImportField) -> int | None:
    if f.key not in _MAX_LENGTHS:
        model = Contact if f.target == "contact" else Customer
        try:
            _MAX_LENGTHS[f.key] = model._meta.get_field(f.field_name).max_length
        except Exception:
            _MAX_LENGTHS[f.key] = None
    return _MAX_LENGTHS[f.key]


def parse_rows(table: xlsx.Table, mapping: dict[str, str], lookups: Lookups, progress: Callable[[int], None] | None = None) -> list[Row]:
    """Each data row parsed and validated (no database access besides `lookups`)."""
    # (column, field, where the value goes: "tags" | "contact" | "customer", its key there, the
    # length limit of a plain text field or -1 for the other kinds)
    columns = []
    for col, key in mapping.items():
        if key not in FIELDS_BY_KEY:
            continue
        f = FIELDS_BY_KEY[key]
        if f.key == "tags":
            target, name = "tags", ""
        elif f.target == "contact":
            target, name = "contact", f.field_name
        else:
            target, name = "customer", {"owner": "owner_id", "region": "region_id"}.get(f.key, f.field_name)
        limit = (_max_length(f) or 0) if f.kind == "text" else -1
        columns.append((int(col), f, target, name, limit))
    today = timezone.localdate()
    rows: list[Row] = []
    total = len(table.rows) or 1
    for n, (number, cells) in enumerate(table.rows):
        row = Row(number, cells)
        customer: dict = {}
        contact: dict = {}
        width = len(cells)
        for col, f, target, name, limit in columns:
            text = cells[col] if col < width else ""
            if not text:
                continue
            if limit >= 0 and (not limit or len(text) <= limit):
                value = text  # a text field within its length: what _parse_value returns
            else:
                try:
                    value = _parse_value(f, text, lookups)
                except RowError as exc:
                    row.errors.append(f"{f.label}: {exc}")
                    continue
            if target == "customer":
                customer[name] = value
            elif target == "contact":
                contact[name] = value
            else:
                row.tags = value
        name = customer.get("name", "")
        if not name and not any(m.startswith(str(FIELDS_BY_KEY["name"].label)) for m in row.errors):
            row.errors.append(_("Customer name: this field is required."))
        owner_id = customer.get("owner_id", lookups.actor_id)
        unit = lookups.user_units.get(owner_id)
        if unit is None:
            row.errors.append(_("Owner: the owner has no current position in a unit."))
        elif not lookups.owner_allowed(owner_id, unit[1]):
            row.errors.append(_("Owner: you may not add customers for this owner (outside your data scope)."))
        else:
            customer["owner_id"], customer["unit_id"] = owner_id, unit[0]
        if contact:
            if not contact.get("name"):
                row.errors.append(_("Contact name: a contact needs a name when other contact columns are filled in."))
            contact["is_primary"] = True
            row.contact = contact
        if customer.get("first_contact_date") and customer["first_contact_date"] > today:
            row.errors.append(_("First contact: the date is in the future."))
        if customer.get("category") == Category.SPECIAL and not customer.get("special_kind"):
            pass  # the special kind is optional in the archive; completeness reports it if the policy requires it
        row.customer = customer
        phones = tuple(k for k in {fast_phone_key(customer.get("phone", "")), contact.get("mobile", "")} if k)
        row.keys = (name_key(name) if name else "", customer.get("credit_code", ""), phones)
        rows.append(row)
        if progress and n % 5000 == 0:
            progress(int(40 * n / total))
    return rows


# ------------------------------------------------------------------ duplicates


def _chunks(values: Iterable, size: int = BATCH_SIZE):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def find_file_duplicates(rows: list[Row]) -> None:
    """Marks each row repeating an earlier row's name key, credit code or phone with the first
    such row (`file_dup_of`, followed to the first occurrence)."""
    seen: dict[tuple[str, str], int] = {}
    by_number = {r.number: r for r in rows}
    for row in rows:
        name, code, phones = row.keys
        keys = [("name", name)] if name else []
        if code:
            keys.append(("credit_code", code))
        keys += [("phone", p) for p in phones]
        first = None
        for key in keys:
            if key in seen and seen[key] != row.number:
                first = seen[key] if first is None else min(first, seen[key])
        if first is not None:
            root = by_number[first]
            while root.file_dup_of:
                root = by_number[root.file_dup_of]
            row.file_dup_of = root.number
        for key in keys:
            seen.setdefault(key, row.number)


LOOKUP_CHUNK = 10_000


# Bulk key lookups want one B-tree probe per key. Left to itself, at a million rows the planner
# took a bitmap scan of the trigram GIN index for name_key equality (150 s for 10,000 names) and
# sorted half the table for a merge join on credit_code / phone_key (3 s); with those plans
# switched off for these statements only, each 10,000-key chunk takes milliseconds.
_PROBE_SETTINGS = ("SET LOCAL enable_bitmapscan = off", "SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off")


_KEY_SEPARATOR = "\x1f"  # never part of a key (name keys hold word characters, codes and phones alphanumerics)


def _key_lookups(sql: str, keys) -> list[tuple]:
    """Runs `sql` (its %(keys)s is a varchar[] of keys) per LOOKUP_CHUNK keys. The keys are sent
    as one text split by the database (adapting a list of 10,000 strings costs more in Python
    than the query), or as a list when a key holds the separator."""
    rows: list[tuple] = []
    joined = sql % {"keys": f"string_to_array(%s, '{_KEY_SEPARATOR}')::varchar[]"}
    listed = sql % {"keys": "%s::varchar[]"}
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in _PROBE_SETTINGS:
            cursor.execute(setting)
        for chunk in _chunks(keys, LOOKUP_CHUNK):
            if any(_KEY_SEPARATOR in k for k in chunk):
                cursor.execute(listed, [chunk])
            else:
                cursor.execute(joined, [_KEY_SEPARATOR.join(chunk)])
            rows += cursor.fetchall()
    return rows


def _lookup_customers(column: str, keys: set[str]):
    """(id, value) of live customers whose `column` is one of `keys`. On PostgreSQL one array
    parameter per 10,000 keys, joined through unnest() and probed key by key (_key_lookups)."""
    if not keys:
        return
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT c.id, c.{column} FROM unnest(%(keys)s) AS k(v) JOIN customers_customer c ON c.{column} = k.v "
            "WHERE c.merged_into_id IS NULL"
        )
        yield from _key_lookups(sql, keys)
        return
    live = Customer.objects.filter(merged_into__isnull=True)
    for chunk in _chunks(keys, 500):
        yield from live.filter(**{f"{column}__in": chunk}).values_list("pk", column)


def _lookup_mobiles(mobiles: list[str]):
    """(customer id, mobile) of live contacts of live customers with one of `mobiles`."""
    if not mobiles:
        return
    if connection.vendor == "postgresql":
        sql = (
            "SELECT DISTINCT ct.customer_id, ct.mobile FROM unnest(%(keys)s) AS k(v) "
            "JOIN customers_contact ct ON ct.mobile = k.v JOIN customers_customer c ON c.id = ct.customer_id "
            "WHERE c.merged_into_id IS NULL AND ct.erased_at IS NULL"
        )
        yield from _key_lookups(sql, mobiles)
        return
    for chunk in _chunks(mobiles, 500):
        qs = Contact.objects.filter(mobile__in=chunk, customer__merged_into__isnull=True, erased_at__isnull=True)
        yield from qs.values_list("customer_id", "mobile").distinct()


def find_db_duplicates(rows: list[Row]) -> dict[int, dict]:
    """Fills `row.hits` ({customer id: reasons}) from set lookups over the whole database
    (whatever the importer's scope); returns {customer id: shown details (name, owner,
    blacklisted) }. A few queries per 2,000 distinct keys, never one per row."""
    from .duplicates import CREDIT_CODE, MOBILE, NAME, PHONE

    names = {r.keys[0] for r in rows if r.keys[0]}
    codes = {r.keys[1] for r in rows if r.keys[1]}
    phones = {p for r in rows for p in r.keys[2]}
    by_name: dict[str, list[int]] = {}
    by_code: dict[str, list[int]] = {}
    by_phone: dict[str, list[tuple[int, str]]] = {}
    for pk, key in _lookup_customers("name_key", names):
        by_name.setdefault(key, []).append(pk)
    for pk, key in _lookup_customers("credit_code", codes):
        by_code.setdefault(key, []).append(pk)
    for pk, key in _lookup_customers("phone_key", phones):
        by_phone.setdefault(key, []).append((pk, PHONE))
    for pk, key in _lookup_mobiles([p for p in phones if len(p) == 11 and p.startswith("1")]):
        by_phone.setdefault(key, []).append((pk, MOBILE))
    hit_ids: set[int] = set()
    for row in rows:
        name, code, row_phones = row.keys
        found: dict[int, set[str]] = {}
        for pk in by_code.get(code, ()) if code else ():
            found.setdefault(pk, set()).add(CREDIT_CODE)
        for p in row_phones:
            for pk, reason in by_phone.get(p, ()):
                found.setdefault(pk, set()).add(reason)
        for pk in by_name.get(name, ()) if name else ():
            found.setdefault(pk, set()).add(NAME)
        row.hits = found
        hit_ids |= set(found)
    details: dict[int, dict] = {}
    from .duplicates import hit_flags

    for chunk in _chunks(hit_ids):
        flags = hit_flags(chunk)
        for pk, name, status, full_name, username in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "name", "status", "owner__full_name", "owner__username"
        ):
            details[pk] = {
                "id": pk,
                "name": name,
                "owner": full_name or username or "",
                "blacklisted": status == Status.BLACKLISTED,
                "flags": flags.get(pk, []),
            }
    return details


# ------------------------------------------------------------------ analysis


@dataclass
class Analysis:
    table: xlsx.Table
    rows: list[Row]
    details: dict[int, dict]
    updatable: set[int]

    @property
    def error_rows(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def duplicate_rows(self) -> list[Row]:
        return [r for r in self.rows if r.is_duplicate]

    def signature(self) -> str:
        """Changes when the set of duplicates (rows and the customers they hit) changes."""
        data = [(r.number, r.file_dup_of, sorted(r.hits)) for r in self.rows if r.is_duplicate]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:32]


def _open_table(job: ImportJob) -> xlsx.Table:
    job.file.open("rb")
    try:
        return xlsx.read_table(job.file, job.original_name, header_matcher=lambda t: match_header(t) is not None)
    finally:
        job.file.close()


# The rows parsed by the last preview in this process, so a commit right after it (inline, or
# in the same worker) re-checks only the database instead of re-reading the file.
_LAST_PARSE: dict[int, tuple] = {}


def _analyse(job: ImportJob, actor, progress: Callable[[int], None] | None = None, *, reuse: bool = False) -> Analysis:
    mapping = {k: v for k, v in (job.mapping or {}).items() if v}
    key = (job.file.name, json.dumps(mapping, sort_keys=True), actor.pk)
    cached = _LAST_PARSE.pop(job.pk, None)
    if reuse and cached is not None and cached[0] == key:
        table, rows = cached[1], cached[2]
    else:
        table = _open_table(job)
        if table.headers != job.headers:
            raise DomainError(_("The file's columns changed; upload it again."))
        lookups = Lookups.load(actor, [FIELDS_BY_KEY[v] for v in mapping.values() if v in FIELDS_BY_KEY])
        rows = parse_rows(table, mapping, lookups, progress)
        find_file_duplicates(rows)
        if not reuse:
            _LAST_PARSE.clear()
            _LAST_PARSE[job.pk] = (key, table, rows)
    if progress:
        progress(45)
    details = find_db_duplicates(rows)
    if progress:
        progress(60)
    hit_ids = set(details)
    updatable: set[int] = set()
    if hit_ids:
        allowed = Customer.objects.restrict(actor, "change")
        for chunk in _chunks(hit_ids):
            updatable |= set(allowed.filter(pk__in=chunk).values_list("pk", flat=True))
    return Analysis(table, rows, details, updatable)


def _preview(analysis: Analysis) -> dict:
    errors, duplicates = [], []
    for row in analysis.rows:
        if row.errors and len(errors) < PREVIEW_LIMIT:
            errors.append({"row": row.number, "name": row.name, "messages": row.errors})
        if row.is_duplicate and len(duplicates) < PREVIEW_LIMIT:
            hits = [{**analysis.details[pk], "reasons": sorted(reasons)} for pk, reasons in row.hits.items() if pk in analysis.details]
            duplicates.append(
                {
                    "row": row.number,
                    "name": row.name,
                    "in_file_of": row.file_dup_of,
                    "hits": hits,
                    "can_update": bool(row.file_dup_of) or (len(row.hits) == 1 and next(iter(row.hits)) in analysis.updatable),
                }
            )
    return {"errors": errors, "duplicates": duplicates, "signature": analysis.signature()}


def _counts(analysis: Analysis) -> dict:
    rows = analysis.rows
    dups = [r for r in rows if r.is_duplicate]
    return {
        "rows": len(rows),
        "errors": sum(1 for r in rows if r.errors),
        "duplicates": len(dups),
        "in_file": sum(1 for r in dups if r.file_dup_of),
        "in_db": sum(1 for r in dups if r.hits and not r.file_dup_of),
        "new": sum(1 for r in rows if not r.errors and not r.is_duplicate),
    }


def error_report(analysis: Analysis) -> bytes:
    """xlsx: every bad row with its cells and messages; a second sheet lists the duplicates."""
    headers = analysis.table.headers
    row_label, errors_label = _("Row"), _("Errors")
    error_rows = ([r.number, *r.cells, "；".join(r.errors)] for r in analysis.rows if r.errors)

    def dup_text(r: Row) -> str:
        parts = []
        if r.file_dup_of:
            parts.append(_("same as row %(row)d of this file") % {"row": r.file_dup_of})
        for pk in r.hits:
            d = analysis.details.get(pk)
            if d:
                parts.append(_("existing customer %(name)s (owner %(owner)s)") % {"name": d["name"], "owner": d["owner"] or "-"})
        return "；".join(parts)

    dup_rows = ([r.number, *r.cells, dup_text(r)] for r in analysis.rows if r.is_duplicate)
    return xlsx.write_workbook(
        [
            (_("Errors"), [row_label, *headers, errors_label], error_rows),
            (_("Duplicates"), [row_label, *headers, _("Duplicate of")], dup_rows),
        ]
    )


# ------------------------------------------------------------------ progress


def _progress_key(job_id: int) -> str:
    return f"customers:import-progress:{job_id}"


def set_progress(job: ImportJob, value: int) -> None:
    value = max(0, min(100, int(value)))
    cache.set(_progress_key(job.pk), value, 3600)
    job.progress = value


def progress_of(job: ImportJob) -> int:
    value = cache.get(_progress_key(job.pk))
    return job.progress if value is None else int(value)


# ------------------------------------------------------------------ services


def jobs_for(user):
    """The import jobs a user may see: only their own."""
    if not getattr(user, "is_authenticated", False):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user)


def _check_permission(actor) -> None:
    if not actor.has_perm(IMPORT_PERMISSION):
        raise NotAllowed(_("You may not import customers."))


@transaction.atomic
def start_import(*, actor, upload) -> ImportJob:
    """Checks an uploaded file and stores it as a new import job with an automatic mapping.
    Raises xlsx.FileRejected (a DomainError) for an unacceptable file."""
    _check_permission(actor)
    name = getattr(upload, "name", "") or "upload"
    # The whole file is checked and parsed, but the rows are only counted here: the analysis
    # reads them (from the stored file, maybe in another process).
    table = xlsx.read_table(upload, name, header_matcher=lambda t: match_header(t) is not None, keep_rows=False)
    if not table.row_count:
        raise xlsx.FileRejected(_("The sheet has a header but no data rows."))
    upload.seek(0)
    job = ImportJob(
        created_by=actor,
        original_name=name[-255:],
        file_kind=table.kind,
        headers=table.headers,
        mapping=auto_mapping(table.headers),
        counts={"rows": table.row_count},
    )
    job.file.save(f"import-{timezone.now():%Y%m%d%H%M%S}.{table.kind}", ContentFile(upload.read()), save=False)
    job.save()
    audit.record("customers.import_uploaded", subject=job, data={"file": job.original_name, "rows": table.row_count, "kind": table.kind})
    return job


@transaction.atomic
def set_mapping(job: ImportJob, *, actor, mapping: dict[str, str]) -> ImportJob:
    _check_permission(actor)
    import_retention.require_file(job)
    if job.status in (ImportStatus.COMMITTING, ImportStatus.DONE, ImportStatus.ANALYSING):
        raise DomainError(_("This import can no longer be changed."))
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for col, key in mapping.items():
        if not key:
            continue
        if key not in FIELDS_BY_KEY or not str(col).isdigit() or int(col) >= len(job.headers):
            raise DomainError(_("Unknown field or column in the mapping."), field="mapping")
        if key in used:
            raise DomainError(
                _("%(field)s is mapped from two columns (%(a)s and %(b)s); choose one.")
                % {"field": FIELDS_BY_KEY[key].label, "a": job.headers[int(used[key])], "b": job.headers[int(col)]},
                field="mapping",
            )
        used[key] = str(col)
        clean[str(col)] = key
    if "name" not in clean.values():
        raise DomainError(_("Choose the column holding the customer name."), field="mapping")
    job.mapping = clean
    job.status = ImportStatus.UPLOADED
    job.preview, job.decisions, job.message = {}, {}, ""
    job.save()
    return job


def analyse(job: ImportJob) -> ImportJob:
    """Builds the preview (no customer data written). Runs inline or in the task."""
    actor = job.created_by
    job.status, job.message = ImportStatus.ANALYSING, ""
    set_progress(job, 1)
    job.save(update_fields=["status", "message", "progress", "updated_at"])
    try:
        import_retention.require_file(job)
        analysis = _analyse(job, actor, lambda v: set_progress(job, v))
        _store_analysis(job, analysis)
        job.status = ImportStatus.READY
        set_progress(job, 100)
        job.save()
    except DomainError as exc:
        _fail(job, str(exc))
    return job


def _store_analysis(job: ImportJob, analysis: Analysis) -> None:
    job.preview = _preview(analysis)
    job.counts = _counts(analysis)
    if job.error_report:
        job.error_report.delete(save=False)
    if analysis.error_rows or analysis.duplicate_rows:
        job.error_report.save(f"import-{job.pk}-report.xlsx", ContentFile(error_report(analysis)), save=False)


def _fail(job: ImportJob, message: str) -> None:
    job.status, job.message = ImportStatus.FAILED, message
    job.finished_at = timezone.now()
    set_progress(job, 100)
    job.save()


def clean_decisions(job: ImportJob, decisions: dict, default: str = SKIP) -> dict[str, str]:
    """{row number: skip|update} for the duplicate rows of the preview; unknown keys dropped."""
    default = default if default in (SKIP, UPDATE) else SKIP
    out: dict[str, str] = {}
    for dup in (job.preview or {}).get("duplicates", []):
        key = str(dup["row"])
        value = decisions.get(key, default)
        out[key] = UPDATE if value == UPDATE and dup.get("can_update") else SKIP
    if default == UPDATE:
        out["*"] = UPDATE
    return out


def commit(job: ImportJob, *, actor, decisions: dict | None = None) -> ImportJob:
    """All or nothing: re-checks the file, then writes every row in one transaction. Returns
    the job (status done, or ready again with a message when the file or the database changed,
    or failed)."""
    _check_permission(actor)
    if actor.pk != job.created_by_id:
        raise NotAllowed(_("Only the person who uploaded the file can import it."))
    import_retention.require_file(job)
    if decisions is not None:
        job.decisions = decisions
    job.status, job.message = ImportStatus.COMMITTING, ""
    set_progress(job, 1)
    job.save()
    try:
        analysis = _analyse(job, actor, lambda v: set_progress(job, v // 2), reuse=True)
        if analysis.error_rows:
            _store_analysis(job, analysis)
            job.status = ImportStatus.READY
            job.message = _("Nothing was imported: %(count)d rows have errors. Fix them in the file and upload it again.") % {
                "count": len(analysis.error_rows)
            }
            job.save()
            return job
        if analysis.signature() != (job.preview or {}).get("signature"):
            _store_analysis(job, analysis)
            job.status = ImportStatus.READY
            job.message = _("Nothing was imported: the duplicates changed since the preview. Check them again and confirm.")
            job.save()
            return job
        with transaction.atomic():
            result = write(analysis, actor=actor, decisions=job.decisions or {}, progress=lambda v: set_progress(job, 30 + v * 7 // 10))
            audit.record(
                "customers.imported",
                subject=job,
                data={"file": job.original_name, "rows": len(analysis.rows), **result},
            )
            job.counts = {**(job.counts or {}), **result}
            job.status = ImportStatus.DONE
            job.finished_at = timezone.now()
            set_progress(job, 100)
            job.save()
    except DomainError as exc:
        job.refresh_from_db()
        _fail(job, _("Nothing was imported: %(error)s") % {"error": exc})
    except Exception:
        log.exception("import %s failed", job.pk)
        job.refresh_from_db()
        _fail(job, _("Nothing was imported: an unexpected error occurred. The administrators can see the details in the server log."))
    return job


# ------------------------------------------------------------------ writing


def _history_attrs() -> dict:
    ctx = context.current()
    return {"history_source": ctx.source, "history_request_id": ctx.request_id, "history_task_id": ctx.task_id, "history_ip": ctx.ip}


def _merge_into(target: Row, source: Row) -> None:
    """An in-file duplicate chosen for "update": its non-empty values complete the first row."""
    for k, v in source.customer.items():
        if v not in ("", None):
            target.customer[k] = v
    for t in source.tags:
        if t not in target.tags:
            target.tags.append(t)
    if source.contact:
        contacts = [c for c in (target.contact, *target.extra_contacts) if c]
        if not any(c.get("name") == source.contact.get("name") for c in contacts):
            if target.contact is None:
                target.contact = source.contact
            else:
                target.extra_contacts.append({**source.contact, "is_primary": False})


def _search_keys(customer: Customer, name_key_value: str | None = None) -> None:
    """`name_key_value`: the name key the analysis already computed for this name."""
    customer.name_key = name_key(customer.name) if name_key_value is None else name_key_value
    customer.trade_key = trade_key(customer.name)
    customer.pinyin, customer.initials = pinyin_keys(customer.name)
    customer.phone_key = fast_phone_key(customer.phone)


def _deriver(rows: list[Row]) -> Callable[[Customer, Row], None]:
    """A function setting a new customer's filing deadline (customers.filing) and completeness
    (customers.completeness) before the insert, so no second pass over the rows is needed. Call
    it before the customer has its id (completeness looks the unsaved row's facts up by pk).
    What it reads from the database (working days, the policy, custom fields) is loaded here for
    the dates and categories of `rows`, so it runs without queries while a COPY streams."""
    try:
        from . import filing
    except ImportError:  # pragma: no cover
        filing = None
    try:
        from . import completeness
        from .completeness import _Defs, _Facts
    except ImportError:  # pragma: no cover
        completeness = None
    deadlines: dict[dt.date, dt.date] = {}
    today = timezone.localdate()
    defs = _Defs() if completeness is not None else None
    keys_by_cat: dict[str, list[str]] = {}
    for d in {row.customer.get("first_contact_date") or today for row in rows}:
        if filing is not None:
            deadlines[d] = filing.filing_deadline_for(d)
    if completeness is not None:
        for category in {row.customer.get("category") or Category.DIRECT for row in rows}:
            keys_by_cat[category] = completeness.required_keys(category, defs=defs)
            defs.get(category)

    def derive(c: Customer, row: Row) -> None:
        if c.first_contact_date is None:
            c.first_contact_date = today
        if filing is not None:
            d = c.first_contact_date
            if d not in deadlines:
                deadlines[d] = filing.filing_deadline_for(d)
            c.filing_deadline = deadlines[d]
        if completeness is None:  # pragma: no cover
            return
        if c.category not in keys_by_cat:
            keys_by_cat[c.category] = completeness.required_keys(c.category, defs=defs)
        contacts = [x for x in (row.contact, *row.extra_contacts) if x]
        facts = _Facts(
            with_contacts={None} if contacts else set(),
            with_contact_phone={None} if any(x.get("mobile") or x.get("phone") for x in contacts) else set(),
            with_tags={None} if row.tags else set(),
        )
        c.completeness, c.missing_fields = completeness.compute(c, keys_by_cat[c.category], facts, defs.get(c.category))

    return derive


_DEFAULTS: dict[type, tuple[dict, list]] = {}


def new_instance(model, values: dict):
    """An unsaved instance with the fields' defaults and `values` (attribute names), built
    without Model.__init__ (which costs ~20 µs a row on a wide model)."""
    from django.db.models.base import ModelState

    if model not in _DEFAULTS:
        fixed, dynamic = {}, []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                dynamic.append(f)
            else:
                fixed[f.attname] = f.get_default()
        _DEFAULTS[model] = (fixed, dynamic)
    fixed, dynamic = _DEFAULTS[model]
    obj = model.__new__(model)
    obj.__dict__.update(fixed)
    for f in dynamic:
        if f.attname not in values:
            obj.__dict__[f.attname] = f.get_default()
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj


_AUTO_NOW: dict[type, tuple[str, ...]] = {}


def _auto_now_fields(model) -> tuple[str, ...]:
    if model not in _AUTO_NOW:
        _AUTO_NOW[model] = tuple(
            f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        )
    return _AUTO_NOW[model]


def insert_with_history(
    model, objs: Iterable, *, actor, now, history: dict, count: int | None = None, progress: Callable[[int], None] | None = None
) -> list:
    """Inserts `objs` and one "+" field-history row each (stamped with the acting context);
    returns them as a list, with their ids. `objs` may be a generator (then `count` says how
    many it yields): on PostgreSQL its objects are built while the database already stores the
    earlier ones, so the generator must not query the database. `progress(n)` is called after
    every BATCH_SIZE objects with how many are done.
    PostgreSQL: ids drawn from the sequence, then one COPY for each table (an order of magnitude
    faster than INSERT with parameters); elsewhere simple-history's bulk_create_with_history in
    batches of BATCH_SIZE."""
    auto_now = _auto_now_fields(model)
    if connection.vendor != "postgresql":
        from simple_history.utils import bulk_create_with_history

        done: list = []
        for batch in _chunks(objs, BATCH_SIZE):
            for obj in batch:
                for attname in auto_now:
                    setattr(obj, attname, now)
            done += bulk_create_with_history(
                batch, model, batch_size=BATCH_SIZE, default_user=actor, default_date=now, custom_historical_attrs=history
            )
            if progress:
                progress(len(done))
        return done
    if count is None:
        objs = list(objs)
        count = len(objs)
    if not count:
        return []
    from simple_history.utils import get_history_manager_for_model

    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [model._meta.db_table, pk.column, count]
        )
        ids = [new_id for (new_id,) in cursor.fetchall()]
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    json_at = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
    pick = operator.itemgetter(*names)
    alias = connection.alias
    done: list = []
    values: list[list] = []  # each object's column values, kept for its history row

    def rows():
        for obj, new_id in zip(objs, ids, strict=True):
            obj.pk = new_id
            obj._state.adding = False
            obj._state.db = alias
            d = obj.__dict__
            for attname in auto_now:
                d[attname] = now
            try:
                row = list(pick(d))
            except KeyError:  # an attribute never set (not built by new_instance)
                row = [d.get(n) for n in names]
            for i in json_at:
                if row[i] is not None:
                    row[i] = json.dumps(row[i])  # text COPY: the database parses it as jsonb
            done.append(obj)
            values.append(row)
            if progress and len(done) % BATCH_SIZE == 0:
                progress(len(done))
            yield row

    with connection.execute_wrapper(_no_queries_while_copying):
        _copy(model, fields, rows())
    if progress and len(done) % BATCH_SIZE:
        progress(len(done))
    hist = get_history_manager_for_model(model).model
    hist_fields = [f for f in hist._meta.concrete_fields if f.attname != "history_id"]
    fixed = {**history, "history_date": now, "history_change_reason": None, "history_type": "+", "history_user_id": actor.pk}
    # A history row: the object's values, then the history fields (picked from row + extra).
    at = {n: i for i, n in enumerate(names)}
    extra_names = [f.attname for f in hist_fields if f.attname not in at]
    for name in extra_names:
        if name not in fixed:
            raise ValueError(f"no value for {hist.__name__}.{name}")  # pragma: no cover - schema drift
    at.update({n: len(names) + j for j, n in enumerate(extra_names)})
    extra = [fixed[n] for n in extra_names]
    hist_pick = operator.itemgetter(*(at[f.attname] for f in hist_fields))

    def history_rows():
        for row in values:
            row += extra
            yield hist_pick(row)

    _copy(hist, hist_fields, history_rows())
    return done


def _no_queries_while_copying(execute, sql, params, many, context):
    # The connection is busy with the COPY: a query now would wait for it forever.
    raise RuntimeError("a database query was made while building the rows of a COPY")


def _copy(model, fields, rows) -> None:
    qn = connection.ops.quote_name
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def write(analysis: Analysis, *, actor, decisions: dict, progress: Callable[[int], None] | None = None) -> dict:
    """Writes the analysed rows (inside the caller's transaction). Returns the counts."""
    from simple_history.utils import bulk_update_with_history

    rows = analysis.rows
    by_number = {r.number: r for r in rows}
    default = decisions.get("*", SKIP)

    def decision(row: Row) -> str:
        return decisions.get(str(row.number), default)

    skipped = 0
    for row in rows:
        if row.file_dup_of:
            if decision(row) == UPDATE:
                _merge_into(by_number[row.file_dup_of], row)
            skipped += decision(row) != UPDATE
    to_create: list[Row] = []
    to_update: dict[int, list[Row]] = {}
    for row in rows:
        if row.file_dup_of:
            continue
        if row.hits:
            pk = next(iter(row.hits)) if len(row.hits) == 1 else None
            if decision(row) == UPDATE and pk in analysis.updatable:
                to_update.setdefault(pk, []).append(row)
            else:
                skipped += 1
            continue
        to_create.append(row)
    history = _history_attrs()
    now = timezone.now()
    customer_fields = {f.name for f in Customer._meta.concrete_fields}

    # New customers: each one built (search keys, filing deadline, completeness) as the insert
    # consumes it, so on PostgreSQL the database stores rows while the next ones are computed.
    derive = _deriver(to_create)
    actor_id = actor.pk

    def new_customers():
        for row in to_create:
            data = {k: v for k, v in row.customer.items() if k in customer_fields or k.endswith("_id")}
            data.setdefault("category", Category.DIRECT)
            data.setdefault("status", Status.POTENTIAL)
            c = new_instance(Customer, {**data, "created_by_id": actor_id, "created_at": now})
            _search_keys(c, row.keys[0] if row.keys and row.keys[0] else None)
            derive(c, row)
            yield c

    if progress:
        progress(10)
    total = max(len(to_create), 1)
    created: list[Customer] = insert_with_history(
        Customer,
        new_customers(),
        actor=actor,
        now=now,
        history=history,
        count=len(to_create),
        progress=(lambda done: progress(10 + 50 * done // total)) if progress else None,
    )
    contacts: list[Contact] = []
    for c, row in zip(created, to_create, strict=True):
        for data in (row.contact, *row.extra_contacts):
            if data:
                contacts.append(new_instance(Contact, {**data, "customer_id": c.pk}))

    # Existing customers chosen for "update"
    updated = 0
    if to_update:
        fields_changed: set[str] = set()
        objs = []
        existing_contacts: dict[int, set[str]] = {}
        for chunk in _chunks(to_update):
            for cid, name in Contact.objects.filter(customer_id__in=chunk).values_list("customer_id", "name"):
                existing_contacts.setdefault(cid, set()).add(name)
        for chunk in _chunks(to_update):
            for c in Customer.objects.select_for_update().filter(pk__in=chunk):
                for row in to_update[c.pk]:
                    for k, v in row.customer.items():
                        if k in ("owner_id", "unit_id"):
                            continue  # an import never moves a customer to another owner (that is a transfer)
                        if v not in ("", None) and getattr(c, k) != v:
                            setattr(c, k, v)
                            fields_changed.add(k)
                    for data in (row.contact, *row.extra_contacts):
                        if data and data.get("name") not in existing_contacts.setdefault(c.pk, set()):
                            contacts.append(Contact(customer_id=c.pk, **{**data, "is_primary": False}))
                            existing_contacts[c.pk].add(data.get("name"))
                c.version += 1
                _search_keys(c)
                objs.append(c)
        fields = sorted(fields_changed | {"version", "name_key", "trade_key", "pinyin", "initials", "phone_key", "updated_at"})
        for c in objs:
            c.updated_at = now
        bulk_update_with_history(
            objs, Customer, fields, batch_size=BATCH_SIZE, default_user=actor, default_date=now, custom_historical_attrs=history
        )
        updated = len(objs)
        _tag(objs, [r for pk in (o.pk for o in objs) for r in to_update[pk][:1]], history, actor, now)
    if contacts:
        insert_with_history(Contact, contacts, actor=actor, now=now, history=history)
    _tag(created, to_create, history, actor, now)
    if progress:
        progress(90)
    if to_update:
        try:
            from .completeness import refresh_queryset
        except ImportError:  # pragma: no cover
            refresh_queryset = None
        if refresh_queryset is not None:
            refresh_queryset(Customer.objects.filter(pk__in=list(to_update)))
    if progress:
        progress(100)
    return {"created": len(created), "updated": updated, "skipped": skipped, "contacts": len(contacts)}


def _tag(customers: list[Customer], rows: list[Row], history: dict, actor, now) -> None:
    from simple_history.utils import bulk_create_with_history

    wanted = {t for r in rows for t in r.tags}
    if not wanted:
        return
    tags = {t.name: t.pk for t in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=n) for n in sorted(wanted - set(tags))]
    if missing:
        for t in bulk_create_with_history(missing, Tag, default_user=actor, default_date=now, custom_historical_attrs=history):
            tags[t.name] = t.pk
    through = Customer.tags.through
    links = [through(customer_id=c.pk, tag_id=tags[t]) for c, r in zip(customers, rows, strict=True) for t in dict.fromkeys(r.tags)]
    through.objects.bulk_create(links, batch_size=BATCH_SIZE, ignore_conflicts=True)


# ------------------------------------------------------------------ running (inline or task)


def is_large(job: ImportJob) -> bool:
    return (job.counts or {}).get("rows", 0) > LARGE_IMPORT_ROWS


def schedule_analysis(job: ImportJob) -> ImportJob:
    """Inline for small files; a Celery task for large ones (the page polls the progress)."""
    if not is_large(job):
        return analyse(job)
    from .tasks_imports import analyse_import

    job.status = ImportStatus.ANALYSING
    set_progress(job, 0)
    job.save(update_fields=["status", "progress", "updated_at"])
    result = analyse_import.delay(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=getattr(result, "id", "") or "")
    job.refresh_from_db()
    return job


def schedule_commit(job: ImportJob, *, actor, decisions: dict) -> ImportJob:
    _check_permission(actor)
    import_retention.require_file(job)
    if job.status != ImportStatus.READY:
        raise DomainError(_("Check the preview before importing."))
    if job.counts.get("errors"):
        raise DomainError(
            _("Nothing can be imported while %(count)d rows have errors. Download the error report, fix the file and upload it again.")
            % {"count": job.counts["errors"]}
        )
    if not is_large(job):
        return commit(job, actor=actor, decisions=decisions)
    from .tasks_imports import commit_import

    job.decisions = decisions
    job.status = ImportStatus.COMMITTING
    set_progress(job, 0)
    job.save()
    result = commit_import.delay(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=getattr(result, "id", "") or "")
    job.refresh_from_db()
    return job


# ------------------------------------------------------------------ benchmark


BENCH_HEADERS = ["客户名称", "统一社会信用代码", "客户类别", "行业", "地址", "电话", "联系人", "手机", "邮箱", "来源", "状态"]


def bench_workbook(n: int, *, seed: int = 1) -> bytes:
    """An n-row xlsx of plausible, valid, distinct customers (credit codes with check digits)."""
    import random

    from openpyxl import Workbook

    from .validators import credit_code_check_char

    rnd = random.Random(seed)
    prefixes = [
        "华新",
        "东方",
        "长江",
        "恒达",
        "金桥",
        "瑞丰",
        "宏远",
        "天成",
        "海纳",
        "中科",
        "鼎盛",
        "永泰",
        "嘉禾",
        "鸿运",
        "新源",
        "博远",
    ]
    trades = ["钢铁", "建材", "电子", "机械", "化工", "物流", "商贸", "科技", "食品", "纺织", "医药", "能源"]
    cities = ["上海", "杭州", "南京", "苏州", "合肥", "武汉", "长沙", "成都", "重庆", "西安", "郑州", "济南"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(BENCH_HEADERS)
    for i in range(n):
        name = f"{rnd.choice(cities)}{rnd.choice(prefixes)}{rnd.choice(trades)}{i:06d}有限公司"
        body = f"91{rnd.randint(110000, 659000):06d}" + "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        code = body + credit_code_check_char(body)
        mobile = f"1{rnd.choice('38')}{rnd.randint(0, 9)}{i:08d}"
        ws.append(
            [
                name,
                code,
                "经销商",
                rnd.choice(trades),
                f"{rnd.choice(cities)}市某路{i}号",
                f"021-{60000000 + i:08d}",
                f"联系人{i}",
                mobile,
                f"c{i}@example.com",
                "展会",
                "潜在",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def bench_import(n: int, *, actor=None) -> dict:
    """Times upload check + analysis + commit of an n-row xlsx (for docs/PERFORMANCE.md and
    `make bench`). `actor` needs customers.import_customer; by default a superuser-free
    benchmark user with an all-scope role is created. Returns timings and rows/s."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    if actor is None:
        actor = _bench_actor()
    t0 = time.perf_counter()
    data = bench_workbook(n)
    t_gen = time.perf_counter() - t0
    t1 = time.perf_counter()
    job = start_import(actor=actor, upload=SimpleUploadedFile("bench.xlsx", data))
    job = set_mapping(job, actor=actor, mapping=job.mapping)
    job = analyse(job)
    t2 = time.perf_counter()
    job = commit(job, actor=actor, decisions={})
    t3 = time.perf_counter()
    total = t3 - t1
    return {
        "rows": n,
        "status": job.status,
        "message": job.message,
        "counts": job.counts,
        "generate_s": round(t_gen, 2),
        "upload_and_preview_s": round(t2 - t1, 2),
        "commit_s": round(t3 - t2, 2),
        "total_s": round(total, 2),
        "rows_per_s": round(n / total) if total else None,
    }


BENCH_ACTOR = "bench-importer"  # username of bench_import's default actor


def _bench_actor():
    from guanxi.accounts.models import OrgUnit, Position, Role, User

    role, _created = Role.objects.get_or_create(
        code="bench_importer",
        defaults={
            "name": "bench importer",
            "data_scope": "all",
            "permissions": [IMPORT_PERMISSION, "customers.add_customer", "customers.change_customer", "customers.view_customer"],
        },
    )
    user, created = User.objects.get_or_create(username=BENCH_ACTOR, defaults={"full_name": "Bench importer"})
    if created or not user.positions.exists():
        unit = OrgUnit.objects.order_by("depth", "pk").first() or OrgUnit.objects.create(name="Bench", code="bench", kind="company")
        Position.objects.create(user=user, unit=unit, role=role)
    return user
