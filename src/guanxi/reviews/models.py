"""Half-yearly reviews 阶段评价 (F-GRD-3), incidents and downgrade tasks (F-GRD-4).

- ReviewCycle: one review period of one unit (its customers and those of its sub-units).
- Review: the review form 阶段评价表 of one customer in one cycle; filled in by the owner,
  approved by the department manager and reviewed by finance (approval flow "grading.review").
- Incident: a problem recorded on a customer (late payment, breach, crisis, other).
- DowngradeTask: opened by a serious incident; the customer must be downgraded within
  `grading.downgrade_within_days` days.

Rules live in services.py; every customer-linked row is scoped through its customer.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import DataScope, OrgUnit
from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped
from guanxi.customers.models import Customer
from guanxi.policy.sources import cite


def _through_customer(principal, level, prefix="customer"):
    return Q(**{f"{prefix}__in": Customer.objects.filter(Customer.scope_q(principal, level)).values("pk")})


class CycleStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


@register_scoped
class ReviewCycle(models.Model):
    """One review period of a unit (seed 002 §五.3.2: every 6 months)."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="review_cycles")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status = models.CharField(_("status"), max_length=8, choices=CycleStatus.choices, default=CycleStatus.OPEN, db_index=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_count = models.PositiveIntegerField(_("reviews"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-period_start", "unit_id", "-id"]
        constraints = [models.UniqueConstraint(fields=["unit", "period_start"], name="review_cycle_unit_period")]

    def __str__(self):
        return f"{self.unit} {self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("reviews:cycle_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        # A cycle is a unit's: self and subordinates see the cycles of their own units.
        if level in (DataScope.SELF, DataScope.SUBORDINATES):
            level = DataScope.UNIT
        return Q(unit_id__in=OrgUnit.objects.filter(OrgUnit.unit_filter(principal, level)).values("pk"))


class Rating(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("To fill in")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Sent back")


PENDING_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.SUBMITTED, ReviewStatus.REJECTED)


@register_scoped
class Review(models.Model):
    """The review form 阶段评价表 of one customer for one cycle."""

    cycle = models.ForeignKey(ReviewCycle, verbose_name=_("review cycle"), on_delete=models.PROTECT, related_name="reviews")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="reviews")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(_("grading scheme"), max_length=40, blank=True, default="")
    current_level = models.CharField(_("grade at opening"), max_length=40, blank=True, default="")
    incidents = models.PositiveIntegerField(_("incidents in the period"), default=0)
    serious_incidents = models.PositiveIntegerField(_("serious incidents in the period"), default=0)
    contract_performance = models.CharField(_("contract performance"), max_length=8, choices=Rating.choices, blank=True, default="")
    payment_timeliness = models.CharField(_("payment timeliness"), max_length=8, choices=Rating.choices, blank=True, default="")
    credit = models.CharField(_("credit"), max_length=8, choices=Rating.choices, blank=True, default="")
    result = models.CharField(
        _("overall result"),
        max_length=8,
        choices=Rating.choices,
        blank=True,
        default="",
        help_text=format_lazy(_("A good result counts towards an upgrade ({source})."), source=cite("seed 002 §五.3.4")),
    )
    suggested_level = models.CharField(
        _("suggested grade"),
        max_length=40,
        blank=True,
        default="",
        help_text=_("An upgrade proposed by the system after enough good review periods."),
    )
    proposed_level = models.CharField(
        _("proposed grade"), max_length=40, blank=True, default="", help_text=_("Leave empty to keep the current grade.")
    )
    comment = models.TextField(_("comment"), blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    applied_level = models.CharField(_("grade applied"), max_length=40, blank=True, default="")
    approval = models.ForeignKey(
        "approvals.ApprovalRequest", verbose_name=_("approval"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-cycle_id", "-id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "customer"], name="review_one_per_customer_and_cycle")]
        indexes = [
            models.Index(fields=["customer", "-id"], name="review_customer_idx"),
            models.Index(fields=["status", "-id"], name="review_status_idx"),
        ]

    def __str__(self):
        return f"{self.customer} ({self.cycle.period_start:%Y-%m})" if self.cycle_id else str(self.customer)

    def get_absolute_url(self):
        return reverse("reviews:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (ReviewStatus.DRAFT, ReviewStatus.REJECTED)

    @classmethod
    def scope_q(cls, principal, level):
        return _through_customer(principal, level)


class IncidentKind(models.TextChoices):
    LATE_PAYMENT = "late_payment", _("Late payment")
    BREACH = "breach", _("Contract breach")
    CRISIS = "crisis", _("Crisis at the customer")
    OTHER = "other", _("Other")


@register_scoped
class Incident(models.Model):
    """A problem with a customer (seed 002 §五.3.3: poor contract performance, late payment, a
    serious crisis in the customer's business)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices)
    serious = models.BooleanField(_("serious"), default=False, help_text=_("A serious incident opens a downgrade task."))
    date = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    description = models.TextField(_("description"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["customer", "date"], name="incident_customer_date_idx")]

    def __str__(self):
        return f"{self.customer}: {self.get_kind_display()} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("reviews:incident_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        return _through_customer(principal, level)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Downgraded")
    CANCELLED = "cancelled", _("Cancelled")


@register_scoped
class DowngradeTask(models.Model):
    """Downgrade the customer within `grading.downgrade_within_days` days of a serious incident
    (seed 002 §五.3.3). At most one open task per customer."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="downgrade_tasks")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="downgrade_tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_level = models.CharField(_("current grade"), max_length=40, blank=True, default="")
    to_level = models.CharField(_("proposed grade"), max_length=40, blank=True, default="")
    due_date = models.DateField(_("due"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_level = models.CharField(_("grade applied"), max_length=40, blank=True, default="")
    note = models.TextField(_("note"), blank=True, default="")
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("downgrade task")
        verbose_name_plural = _("downgrade tasks")
        ordering = ["due_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(status="open"), name="downgrade_task_one_open_per_customer")
        ]

    def __str__(self):
        return f"{self.customer} → {self.to_level or '?'} ({self.due_date:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("reviews:downgrade_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    def is_late(self, on=None) -> bool:
        return self.is_open and self.due_date < (on or timezone.localdate())

    @classmethod
    def scope_q(cls, principal, level):
        # The assignee always sees the task they must do.
        return _through_customer(principal, level) | Q(assignee_id=principal.user_id)
