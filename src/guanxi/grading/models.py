"""Grading 客户分级 (SPEC F-GRD-1, F-GRD-2): each customer's proposed and confirmed grade, the
yearly business figures the schemes read, the grading profile (credit, finances, partnership)
and the log of grade changes. Rules live in services.py / engine.py / quotas.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped

from .fields import CREDIT_RATINGS, FINANCIAL_STATES


def _through_customer(principal, level):
    """Customer-linked rows are in scope when their customer is (customers.Contact's rule)."""
    from guanxi.customers.models import Customer

    return Q(customer__in=Customer.objects.filter(Customer.scope_q(principal, level)).values("pk"))


class GradeSource(models.TextChoices):
    CONFIRM = "confirm", _("Proposal confirmed")
    OVERRIDE = "override", _("Set by hand")
    REVIEW = "review", _("Periodic review")
    DOWNGRADE = "downgrade", _("Downgrade after a problem")
    UPGRADE = "upgrade", _("Upgrade after a good review")
    SCHEME_CHANGED = "scheme_changed", _("Scheme changed")


@register_scoped
class CustomerGrade(models.Model):
    """One row per customer: the proposal of the last run and the confirmed grade. `unit`
    repeats the customer's owning unit (kept in step by a signal and by every run) so that the
    quota tallies (LevelCount) follow a transfer without joining a million customers."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="grade")
    unit = models.ForeignKey("accounts.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(_("scheme"), max_length=40)
    proposed_level = models.CharField(_("proposed grade"), max_length=40, blank=True, default="")
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=160, blank=True, default="")
    level = models.CharField(_("grade"), max_length=40, blank=True, default="", help_text=_("The confirmed grade."))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, default="")
    source = models.CharField(_("source"), max_length=20, choices=GradeSource.choices, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    history = field_history(excluded_fields=["explanation", "proposed_at"])

    class Meta:
        verbose_name = _("customer grade")
        verbose_name_plural = _("customer grades")
        ordering = ["-id"]
        indexes = [models.Index(fields=["unit", "scheme", "level"], name="grade_unit_level_idx")]

    def __str__(self):
        return f"{self.customer_id}: {self.level or self.proposed_level or '-'}"

    def get_absolute_url(self):
        return reverse("customers:detail", args=[self.customer_id])

    @classmethod
    def scope_q(cls, principal, level):
        return _through_customer(principal, level)


class LevelCount(models.Model):
    """How many grade rows of a unit hold each level of a scheme ("" = none confirmed). Kept by
    database triggers on CustomerGrade (level_counts.py) through every write, the run's bulk
    upsert included, so a quota check sums a department's few tallies instead of counting its
    tens of thousands of grade rows. Not a record of its own: no history, no page."""

    unit = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )  # the key below indexes it
    scheme = models.CharField(max_length=40)
    level = models.CharField(max_length=40, blank=True, default="")
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("grade tally")
        verbose_name_plural = _("grade tallies")
        constraints = [models.UniqueConstraint(fields=["unit", "scheme", "level"], name="grade_level_count_key")]

    def __str__(self):
        return f"{self.unit_id}/{self.scheme}/{self.level or '-'}: {self.n}"


@register_scoped
class BusinessFigure(models.Model):
    """A customer's business with us in one calendar year (F-GRD-1, issue 4 item 2): sales,
    payments received, collection and the number of overdue payments. Entered, imported from
    xlsx, or (once the sales module exists) computed."""

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="business_figures"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sales = models.DecimalField(_("sales (¥)"), max_digits=16, decimal_places=2, default=0)
    payments = models.DecimalField(_("payments received (¥)"), max_digits=16, decimal_places=2, default=0)
    collection = models.DecimalField(_("collection (¥)"), max_digits=16, decimal_places=2, default=0)
    overdue_payments = models.PositiveIntegerField(_("overdue payments"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    history = field_history(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("business figure")
        verbose_name_plural = _("business figures")
        ordering = ["-year", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "year"], name="business_figure_one_per_year")]

    def __str__(self):
        return f"{self.customer} {self.year}"

    def get_absolute_url(self):
        return reverse("grading:figure_edit", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        return _through_customer(principal, level)


@register_scoped
class GradingProfile(models.Model):
    """Facts the schemes need that the customer archive does not hold: credit rating,
    financial state (seed 000 §一.2.2), the wish for a long-term partnership (seed 002 §五.2.2 c)
    and important resources (seed 004 §2)."""

    customer = models.OneToOneField(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="grading_profile"
    )
    credit_rating = models.CharField(_("credit rating"), max_length=8, choices=CREDIT_RATINGS, blank=True, default="")
    financial_state = models.CharField(_("financial state"), max_length=8, choices=FINANCIAL_STATES, blank=True, default="")
    long_term_partner = models.BooleanField(_("wants a long-term partnership"), default=False)
    has_key_resources = models.BooleanField(_("holds resources important to us"), default=False)
    note = models.TextField(_("note"), blank=True, default="")
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("grading profile")
        verbose_name_plural = _("grading profiles")

    def __str__(self):
        return str(self.customer)

    def get_absolute_url(self):
        return reverse("grading:profile_edit", args=[self.customer_id])

    @classmethod
    def scope_q(cls, principal, level):
        return _through_customer(principal, level)


@register_scoped
class GradeChange(models.Model):
    """The log of confirmed grade changes (confirm, override, review, downgrade …), with the
    proposal and its explanation at that moment and the policy version. Rows are only ever
    added (the history keeps who added them from where)."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="grade_changes")
    unit = models.ForeignKey("accounts.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(_("scheme"), max_length=40)
    from_level = models.CharField(_("from"), max_length=40, blank=True, default="")
    to_level = models.CharField(_("to"), max_length=40, blank=True, default="")
    proposed_level = models.CharField(_("proposed grade"), max_length=40, blank=True, default="")
    source = models.CharField(_("source"), max_length=20, choices=GradeSource.choices)
    reason = models.TextField(_("reason"), blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=160, blank=True, default="")
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = field_history(excluded_fields=["explanation"])

    class Meta:
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="grade_change_customer_idx")]

    def __str__(self):
        return f"{self.customer}: {self.from_level or '-'} → {self.to_level or '-'}"

    def get_absolute_url(self):
        return reverse("customers:detail", args=[self.customer_id])

    @classmethod
    def scope_q(cls, principal, level):
        return _through_customer(principal, level)
