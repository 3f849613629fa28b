"""Customer blacklists 客户黑名单 (F-GRD-6; seed 002 §五.3.3, 3.5): a department's own list and
the company's list. The rules (who adds, approval, announcement, lifting, the business check)
live in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import DataScope, OrgUnit
from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped


class Level(models.TextChoices):
    DEPARTMENT = "department", _("Department blacklist")
    COMPANY = "company", _("Company blacklist")


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LIFTED = "lifted", _("Lifted")


# Company entries everybody may read: the company list is announced to every department.
ANNOUNCED = (EntryStatus.ACTIVE, EntryStatus.LIFTED)


def _ancestor_and_own_unit_ids(principal) -> set[int]:
    """The principal's units and every unit above them (from the materialised paths)."""
    ids = set(principal.unit_ids)
    for path in principal.unit_paths:
        ids |= {int(p) for p in path.strip("/").split("/") if p}
    return ids


class BlacklistEntryQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(status=EntryStatus.ACTIVE)

    def applying_to(self, unit_ids):
        """Active entries that block business for a unit whose chain (itself and its ancestors)
        is `unit_ids`; company entries always apply. `unit_ids` None → company entries only."""
        q = Q(level=Level.COMPANY)
        if unit_ids:
            q |= Q(level=Level.DEPARTMENT, unit_id__in=list(unit_ids))
        return self.active().filter(q)


@register_scoped
class BlacklistEntry(models.Model):
    """One customer on one list. A department entry (`unit` = the department whose list it is)
    blocks that unit and its sub-units and is active at once; a company entry blocks every
    unit, needs the marketing division's approval (policy) and sets the customer's status to
    blacklisted while it is active (`unit` = the unit that proposed it)."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="blacklist_entries"
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="blacklist_entries",
        help_text=_("Department blacklist: the department whose list it is. Company blacklist: the unit that proposed it."),
    )
    reason = models.CharField(_("reason"), max_length=200)
    evidence = models.TextField(
        _("incident and evidence"), blank=True, default="", help_text=_("What happened: losses, breaches, damage to the company's name.")
    )
    status = models.CharField(_("status"), max_length=12, choices=EntryStatus.choices, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, db_index=True)
    approval = models.ForeignKey(
        "approvals.ApprovalRequest",
        verbose_name=_("approval request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    previous_customer_status = models.CharField(_("customer status before"), max_length=12, blank=True, default="")
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lifted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.CharField(_("reason for lifting"), max_length=200, blank=True, default="")
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")

    objects = BlacklistEntryQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The business check and the duplicate-check flag: active entries of given customers.
            models.Index(fields=["customer", "status"], name="blacklist_customer_status_idx"),
            models.Index(fields=["level", "status", "-created_at"], name="blacklist_level_status_idx"),
            models.Index(fields=["unit", "status"], name="blacklist_unit_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="company") | Q(unit__isnull=False),
                name="blacklist_department_has_unit",
                violation_error_message=_("Choose the department whose blacklist it is."),
            ),
            # One live entry per customer and list (a second one would be lifted twice).
            models.UniqueConstraint(
                fields=["customer", "unit"],
                condition=Q(level="department", status__in=["pending", "active"]),
                name="blacklist_one_live_department_entry",
                violation_error_message=_("This customer is already on that department's blacklist."),
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(level="company", status__in=["pending", "active"]),
                name="blacklist_one_live_company_entry",
                violation_error_message=_("This customer is already on the company blacklist or waiting for approval."),
            ),
        ]

    def __str__(self):
        return f"{self.customer} ({self.list_name})"

    def get_absolute_url(self):
        return reverse("blacklist:detail", args=[self.pk])

    @property
    def list_name(self) -> str:
        """“Company blacklist” or “Blacklist of <department>”."""
        if self.level == Level.COMPANY:
            return str(_("Company blacklist"))
        return str(_("Blacklist of %(unit)s") % {"unit": self.unit})

    list_name.fget.short_description = _("list")

    @property
    def is_live(self) -> bool:
        return self.status in (EntryStatus.PENDING, EntryStatus.ACTIVE)

    @classmethod
    def scope_q(cls, principal, level):
        """Company entries once announced (active or lifted): everybody. Department entries:
        the lists of the principal's units and of the units above them (they apply there), and
        for unit_tree the lists of the units below. Company proposals (pending, rejected,
        withdrawn): the proposing unit's scope, and whoever proposed them."""
        applies = _ancestor_and_own_unit_ids(principal)
        if level in (DataScope.UNIT, DataScope.UNIT_TREE):
            own = OrgUnit.unit_filter(principal, level, prefix="unit__")
            proposer = Q(created_by_id=principal.user_id)
        else:  # self, subordinates: the lists of their units; proposals they or theirs made
            own = Q(unit_id__in=principal.unit_ids)
            proposer = Q(created_by_id__in=principal.subordinate_ids | {principal.user_id})
        announced = Q(level=Level.COMPANY, status__in=ANNOUNCED)
        department = Q(level=Level.DEPARTMENT) & (Q(unit_id__in=applies) | own)
        proposals = Q(level=Level.COMPANY) & ((own if level in (DataScope.UNIT, DataScope.UNIT_TREE) else Q(pk__in=[])) | proposer)
        return announced | department | proposals
