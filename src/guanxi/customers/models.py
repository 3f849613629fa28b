"""The customer archive 客户档案 (SPEC F-CUS-1..11): customers, their departments and contacts,
team members, custom fields, consent. Business actions live in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import DataScope, OrgUnit
from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped


class Category(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    DISTRIBUTOR = "distributor", _("Distributor")
    AGREEMENT = "agreement", _("Agreement customer")
    DIRECT = "direct", _("Direct user")
    SPECIAL = "special", _("Special")
    OUTLET = "outlet", _("Outlet")


class SpecialKind(models.TextChoices):
    BANK = "bank", _("Bank")
    GOVERNMENT = "government", _("Government")
    TAX = "tax", _("Tax authority")
    DESIGN_INSTITUTE = "design_institute", _("Design institute")
    ADVERTISING = "advertising", _("Advertising")


class Source(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    COLD_VISIT = "cold_visit", _("Cold visit")
    ONLINE = "online", _("Online")
    DIRECT = "direct", _("Direct sales")
    EXHIBITION = "exhibition", _("Exhibition")
    REFERRAL = "referral", _("Referral")


class Status(models.TextChoices):
    POTENTIAL = "potential", _("Potential")
    ACTIVE = "active", _("Active")
    LOST = "lost", _("Lost")
    BLACKLISTED = "blacklisted", _("Blacklisted")


class Scale(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class Nature(models.TextChoices):
    STATE = "state", _("State-owned")
    PRIVATE = "private", _("Private")
    FOREIGN = "foreign", _("Foreign-invested")
    JOINT = "joint", _("Joint venture")
    COLLECTIVE = "collective", _("Collective")
    PUBLIC = "public", _("Public institution")
    INDIVIDUAL = "individual", _("Individual")


# The static information of F-CUS-1 in the order forms show it; the form, the API, the services
# and the merge page build their field lists on it.
STATIC_FIELDS = (
    "name",
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
    "status",
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    color = models.CharField(_("colour"), max_length=20, blank=True, default="")

    history = field_history()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CustomerQuerySet(ScopedQuerySet):
    def live(self):
        """Not merged into another record."""
        return self.filter(merged_into__isnull=True)


@register_scoped
class Customer(models.Model):
    # Static information (F-CUS-1)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=60, blank=True, default="")
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, default=Category.DIRECT)
    special_kind = models.CharField(_("special kind"), max_length=20, choices=SpecialKind.choices, blank=True, default="")
    industry = models.CharField(_("industry"), max_length=60, blank=True, default="")
    scale = models.CharField(_("scale"), max_length=10, choices=Scale.choices, blank=True, default="")
    nature = models.CharField(_("enterprise nature"), max_length=12, choices=Nature.choices, blank=True, default="")
    supervising_unit = models.CharField(_("supervising unit"), max_length=120, blank=True, default="")
    region = models.ForeignKey(
        "accounts.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=255, blank=True, default="")
    website = models.CharField(_("website"), max_length=200, blank=True, default="")
    business_scope = models.TextField(_("business scope"), blank=True, default="")
    registered_capital = models.DecimalField(_("registered capital (¥)"), max_digits=16, decimal_places=2, null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    fax = models.CharField(_("fax"), max_length=30, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, blank=True, default="")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.POTENTIAL)
    is_key = models.BooleanField(
        _("key customer"), default=False, help_text=_("Key customers must keep the policy's number of company staff in contact.")
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)

    # Ownership
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_customers",
        db_index=False,  # customer_owner_idx (owner, -id) serves every lookup by owner
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="customers", db_index=False
    )  # customer_unit_idx (unit, -id) serves every lookup by unit

    # Filing 备案 (F-CUS-4)
    first_contact_date = models.DateField(_("first contact"), null=True, blank=True)
    filing_deadline = models.DateField(_("filing deadline"), null=True, blank=True, db_index=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    change_report_deadline = models.DateField(_("change report deadline"), null=True, blank=True)
    # Customer handbook 客户信息手册 brought up to date (F-CUS-9, seed 004 §13.2.3: every half year)
    handbook_reviewed_at = models.DateTimeField(_("handbook updated"), null=True, blank=True)
    handbook_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handbook updated by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Completeness (F-CUS-5), maintained by services on every save
    completeness = models.PositiveSmallIntegerField(_("completeness %"), default=0)
    missing_fields = models.JSONField(_("missing fields"), default=list, blank=True)

    # Search keys (F-CUS-10, F-CUS-6), maintained by services
    name_key = models.CharField(max_length=200, editable=False, default="")  # normalised for duplicate check
    pinyin = models.CharField(max_length=400, editable=False, default="")
    initials = models.CharField(max_length=100, editable=False, default="")
    phone_key = models.CharField(max_length=20, editable=False, default="")
    # The trade name 字号 (normalize.trade_key) for the live "similar name" check; one B-tree
    # index in Meta.indexes (db_index would add a second, varchar_pattern_ops one on PostgreSQL).
    trade_key = models.CharField(max_length=200, editable=False, default="", blank=True)

    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    version = models.PositiveIntegerField(_("version"), default=1, help_text=_("Raised on every save; a stale form is refused."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # users are deactivated, never deleted: nothing looks customers up by creator
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CustomerQuerySet.as_manager()
    history = field_history(excluded_fields=["name_key", "pinyin", "initials", "phone_key", "trade_key", "updated_at"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="customer_owner_idx"),
            models.Index(fields=["unit", "-id"], name="customer_unit_idx"),
            models.Index(fields=["status", "-id"], name="customer_status_idx"),
            # The list's sort orders at a million rows (bench: docs/PERFORMANCE.md): an index
            # per sortable column, both directions for the few-valued ones (ties break on -id).
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["updated_at"], name="customer_updated_idx"),
            models.Index(fields=["completeness", "-id"], name="customer_complete_idx"),
            models.Index(fields=["-completeness", "-id"], name="customer_complete_desc_idx"),
            models.Index(fields=["-status", "-id"], name="customer_status_desc_idx"),
            # Filtered by category and sorted by name, the commonest list view of a manager; often
            # also by region, whose id is in the index so rows of other regions are skipped in the index
            # (names begin with a city: sorted by name, one region's rows come in long runs).
            models.Index(
                fields=["category", "name", "-id", "region"],
                condition=models.Q(merged_into__isnull=True),
                name="customer_category_name_idx",
            ),
            models.Index(fields=["trade_key"], name="customer_trade_key_idx"),
            # One index per search and duplicate key, with the pattern operator class so it serves
            # both "=" and "starts with" (db_index would add a plain one beside it on PostgreSQL:
            # twice the writes for every imported row). Classification filters that no composite
            # index starts with get a plain one.
            models.Index(fields=["credit_code"], name="customer_credit_code_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_key"], name="customer_name_key_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["pinyin"], name="customer_pinyin_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["initials"], name="customer_initials_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["phone_key"], name="customer_phone_key_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["industry"], name="customer_industry_idx"),
            models.Index(fields=["source"], name="customer_source_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:detail", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        own, *members = cls.scope_branches(principal, level)
        return own | members[0] if members else own

    @classmethod
    def scope_branches(cls, principal, level) -> list[Q]:
        # Team members 协作人 see the customer whatever the level (F-ORG-2). The few ids are read
        # first: an OR with a subquery would stop the planner walking the (owner, -id) index.
        # They come with the principal (memberships bump the access version), else from the table.
        from guanxi.accounts.access import part

        member_ids = part(principal, MEMBER_IDS_PART)
        if member_ids is None:
            member_ids = current_member_customer_ids(principal.user_id)
        member_ids = sorted(member_ids)
        if level == DataScope.SELF:
            own = Q(owner_id=principal.user_id)
        elif level == DataScope.SUBORDINATES:
            own = Q(owner_id__in=principal.subordinate_ids | {principal.user_id})
        else:
            own = Q(unit_id__in=OrgUnit.objects.filter(OrgUnit.unit_filter(principal, level)).values("pk"))
        return [own, Q(pk__in=member_ids)] if member_ids else [own]


class CustomerDepartment(models.Model):
    """A department of the customer's organisation; contacts are grouped by it (seed 004 13.2.2)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=80)
    business_info = models.TextField(_("business information"), blank=True, default="")
    communication_info = models.TextField(_("communication information"), blank=True, default="")
    background_info = models.TextField(_("background information"), blank=True, default="")

    history = field_history()

    class Meta:
        verbose_name = _("customer department")
        verbose_name_plural = _("customer departments")
        ordering = ["customer_id", "name"]

    def __str__(self):
        return self.name


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    BUYER = "buyer", _("Buyer")


@register_scoped
class Contact(models.Model):
    """A person at the customer (F-CUS-2). Which fields are personal information — masked for
    users without the right (F-ORG-5) — is the policy's (privacy.personal_fields)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    department = models.ForeignKey(
        CustomerDepartment, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"), blank=True, default="")
    decision_role = models.CharField(_("decision role"), max_length=16, choices=DecisionRole.choices, blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, default="")
    address = models.CharField(_("address"), max_length=255, blank=True, default="")
    experience = models.TextField(_("experience"), blank=True, default="")
    family = models.TextField(_("family background"), blank=True, default="")
    hobbies = models.TextField(_("hobbies"), blank=True, default="")
    needs = models.TextField(_("needs"), blank=True, default="")
    is_primary = models.BooleanField(_("primary contact"), default=False)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer_id", "-is_primary", "name"]
        # Search and duplicate check look contacts up by name and mobile, equal or starting with.
        indexes = [
            models.Index(fields=["name"], name="contact_name_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["mobile"], name="contact_mobile_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name

    def audit_repr(self) -> str:
        """How the audit log names a contact: by the customer (the event keeps the contact's id).
        The log is append-only, so a person's name written there could never be erased."""
        return self.customer.name

    @classmethod
    def scope_q(cls, principal, level):
        return Q(customer__in=Customer.objects.filter(Customer.scope_q(principal, level)).values("pk"))


class MemberAccess(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class MemberQuerySet(models.QuerySet):
    def current(self):
        today = timezone.localdate()
        return self.filter(Q(until__isnull=True) | Q(until__gte=today))


MEMBER_IDS_PART = "customer_member_ids"


def current_member_customer_ids(user_id: int) -> frozenset[int]:
    """The customers `user_id` is a current team member of."""
    return frozenset(CustomerMember.objects.current().filter(user_id=user_id).values_list("customer_id", flat=True))


class CustomerMember(models.Model):
    """A team member 协作人: a colleague who works on a customer they do not own (F-ORG-2),
    also counting as company staff in contact with it (F-CUS-2)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="customer_memberships"
    )
    access = models.CharField(_("access"), max_length=8, choices=MemberAccess.choices, default=MemberAccess.READ)
    until = models.DateField(_("until"), null=True, blank=True)

    objects = MemberQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="customer_member_unique")]

    def __str__(self):
        return f"{self.user} @ {self.customer}"


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI = "multi", _("Multiple choice")
    BOOL = "bool", _("Yes/no")
    FILE = "file", _("Photo or file")


class CustomFieldDef(models.Model):
    """A custom field for one customer category (F-CUS-11); values live in Customer.custom_data
    (files in CustomerFile)."""

    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=60)
    field_type = models.CharField(_("type"), max_length=8, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    searchable = models.BooleanField(_("searchable"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True, default="")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    history = field_history()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["category", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["category", "key"], name="custom_field_unique_key")]

    def __str__(self):
        return self.label


class CustomerFile(models.Model):
    """A photo or file attached to a customer, optionally for one custom field."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="files")
    field_key = models.SlugField(_("field"), max_length=40, blank=True, default="")
    file = models.FileField(_("file"), upload_to="customers/%Y/%m/")
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    history = field_history()

    class Meta:
        verbose_name = _("customer file")
        verbose_name_plural = _("customer files")

    def __str__(self):
        return self.name or self.file.name


class Consent(models.Model):
    """Consent for a contact's personal data (F-SEC-3)."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=200)
    lawful_basis = models.CharField(_("lawful basis"), max_length=60)
    notice_version = models.CharField(_("notice version"), max_length=20)
    given_at = models.DateField(_("date given"))
    withdrawn_at = models.DateField(_("withdrawn"), null=True, blank=True)

    history = field_history()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]

    def __str__(self):
        return self.purpose


class RequestKind(models.TextChoices):
    """What a person may ask about their data (PIPL arts. 44–47)."""

    ACCESS = "access", _("See or copy their data")
    CORRECTION = "correction", _("Correct or complete it")
    ERASURE = "erasure", _("Erase it")
    WITHDRAWAL = "withdrawal", _("Withdraw consent")
    OTHER = "other", _("Other")


class PersonalDataRequest(models.Model):
    """A contact's request about their personal data (F-SEC-3), to be answered by the policy's
    deadline (security.personal_data_request_days, counted from receipt). Answering by the
    matching action on the contact (export, correction, erasure) closes it."""

    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="data_requests")
    kind = models.CharField(_("request"), max_length=12, choices=RequestKind.choices)
    received_on = models.DateField(_("received"))
    due_on = models.DateField(_("answer by"), db_index=True)
    note = models.TextField(_("note"), blank=True, default="")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True, default="")
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=80, blank=True, default="")

    history = field_history()

    class Meta:
        verbose_name = _("personal-data request")
        verbose_name_plural = _("personal-data requests")
        ordering = ["due_on", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.received_on:%Y-%m-%d}"


class FindingKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate")
    FICTITIOUS = "fictitious", _("Fictitious-looking")
    MISASSIGNED = "misassigned", _("Mis-assigned")


class FindingResolution(models.TextChoices):
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not a problem")
    GONE = "gone", _("No longer detected")


class DuplicateFindingQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def visible_to(self, user):
        """Findings about at least one customer the user may view (the customers' data scope)."""
        through = DuplicateFinding.customers.through
        ids = through.objects.filter(customer_id__in=Customer.objects.restrict(user, "view").values("pk"))
        return self.filter(pk__in=ids.values("duplicatefinding_id"))


class DuplicateFinding(models.Model):
    """One result of the monthly archive scan (seed 001 §5.2.2, F-CUS-6): a group of possible
    duplicates, a fictitious-looking record or a mis-assigned one. `key` identifies what was
    found, so running the scan again finds the same row instead of adding one."""

    kind = models.CharField(_("kind"), max_length=12, choices=FindingKind.choices, db_index=True)
    key = models.CharField(_("key"), max_length=64, editable=False)
    reason = models.CharField(_("reason"), max_length=120)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    customers = models.ManyToManyField(Customer, verbose_name=_("customers"), related_name="findings")
    detected_at = models.DateTimeField(_("detected"), default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=12, choices=FindingResolution.choices, blank=True, default="")
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")

    objects = DuplicateFindingQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("archive finding")
        verbose_name_plural = _("archive findings")
        ordering = ["-detected_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="duplicate_finding_unique_key")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason}"


class ReturnReason(models.TextChoices):
    INCOMPLETE = "incomplete", _("Incomplete new record")
    IRREGULAR = "irregular", _("Not filed to the standard")


class ReturnTask(models.Model):
    """A record sent back to its unit to be completed or corrected (seed 001 §5.1.1): by the
    weekly check of new records (F-CUS-5, `created_by` empty) or by hand by the archivist, with
    a note. At most one open task per customer. An incomplete record's task is resolved when
    the record is complete; an irregular one's when its unit marks it corrected."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="return_tasks")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="customer_return_tasks")
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices, default=ReturnReason.INCOMPLETE)
    missing_fields = models.JSONField(_("missing fields"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")
    note = models.TextField(_("note"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent back by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = field_history()

    class Meta:
        verbose_name = _("return task")
        verbose_name_plural = _("return tasks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(resolved_at__isnull=True), name="return_task_one_open_per_customer")
        ]

    def __str__(self):
        return f"{self.customer} ({self.get_reason_display()})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    ANALYSING = "analysing", _("Checking")
    READY = "ready", _("Preview ready")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One Excel/CSV import of customers (F-CUS-8): the uploaded file, the column mapping, the
    preview (errors and duplicates), the per-row skip/update choices and the outcome. Only its
    creator sees it (customers.imports)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255, blank=True, default="")
    file_kind = models.CharField(_("file type"), max_length=8, blank=True, default="")
    headers = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    decisions = models.JSONField(_("decisions"), default=dict, blank=True)
    error_report = models.FileField(_("error report"), upload_to="imports/%Y/%m/", blank=True, default="")
    message = models.TextField(_("message"), blank=True, default="")
    task_id = models.CharField(_("task id"), max_length=64, blank=True, default="")
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    purged_at = models.DateTimeField(
        _("files deleted"), null=True, blank=True, help_text=_("When the uploaded file, error report and preview rows were deleted.")
    )

    history = field_history(excluded_fields=["progress", "preview", "updated_at"])

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.original_name or f"import #{self.pk}"

    def get_absolute_url(self):
        return reverse("customers:import_detail", args=[self.pk])
