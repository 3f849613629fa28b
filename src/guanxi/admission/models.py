"""Customer admission 客户准入 (SPEC F-GRD-5, seed 002 §五.1.1–1.2).

One `Admission` per customer holds the kind of customer (regular, retail, related party — the
last two are exempt), the checklist taken from the policy for the customer's category, and the
decision. Each checklist entry is an `AdmissionItem` (confirmed, document number, dates) with
its uploaded `AdmissionDocument` files. Business rules live in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped
from guanxi.customers.models import Customer


class CustomerKind(models.TextChoices):
    REGULAR = "regular", _("Regular customer")
    RETAIL = "retail", _("Retail customer")
    RELATED_PARTY = "related_party", _("Related-party customer (internal transactions)")


class AdmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Admitted")
    REJECTED = "rejected", _("Rejected")
    EXEMPT = "exempt", _("Exempt")


class ItemCode(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    TAX_REGISTRATION = "tax_registration", _("Tax registration")
    GOOD_CREDIT = "good_credit", _("Good credit")
    SIGNED_CONTRACT = "signed_contract", _("Signed purchase contract")
    NO_ILLEGAL_RECORD = "no_illegal_record", _("No illegal record")
    QUALIFICATIONS = "qualifications", _("Required qualifications")


class AdmissionQuerySet(ScopedQuerySet):
    def open(self):
        """Admissions still to be decided (draft, submitted or rejected)."""
        return self.filter(status__in=[AdmissionStatus.DRAFT, AdmissionStatus.SUBMITTED, AdmissionStatus.REJECTED])


@register_scoped
class Admission(models.Model):
    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="admission")
    customer_kind = models.CharField(
        _("kind of customer"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.REGULAR, db_index=True
    )
    exemption_reason = models.TextField(_("reason for the exemption"), blank=True, default="")
    status = models.CharField(_("status"), max_length=12, choices=AdmissionStatus.choices, default=AdmissionStatus.DRAFT, db_index=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True, help_text=_("Item codes the policy requires."))
    completeness = models.PositiveSmallIntegerField(_("completeness %"), default=0)
    missing_items = models.JSONField(_("missing items"), default=list, blank=True)
    expired_items = models.JSONField(_("expired items"), default=list, blank=True)
    next_expiry = models.DateField(_("next expiry"), null=True, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    approval_request = models.ForeignKey(
        "approvals.ApprovalRequest", verbose_name=_("approval request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_comment = models.TextField(_("decision comment"), blank=True, default="")
    admitted_at = models.DateTimeField(_("admitted"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AdmissionQuerySet.as_manager()
    history = field_history(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-id"], name="admission_status_idx")]

    def __str__(self):
        return str(_("Admission of %(customer)s") % {"customer": self.customer.name})

    def get_absolute_url(self):
        return reverse("admission:detail", args=[self.pk])

    @property
    def is_exempt(self) -> bool:
        return self.status == AdmissionStatus.EXEMPT

    @property
    def is_editable(self) -> bool:
        """Items can be changed unless the admission waits for a decision or is exempt."""
        return self.status not in (AdmissionStatus.SUBMITTED, AdmissionStatus.EXEMPT)

    @classmethod
    def scope_q(cls, principal, level):
        # Through the customer: whoever may see the customer sees its admission.
        return Q(customer__in=Customer.objects.filter(Customer.scope_q(principal, level)).values("pk"))


class AdmissionItem(models.Model):
    """One condition of the checklist (seed 002 §五.1.2 a–e) for one admission."""

    admission = models.ForeignKey(Admission, verbose_name=_("admission"), on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("item"), max_length=30, choices=ItemCode.choices)
    required = models.BooleanField(_("required"), default=True)
    confirmed = models.BooleanField(_("confirmed"), default=False)
    document_no = models.CharField(_("document number"), max_length=80, blank=True, default="")
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    note = models.TextField(_("note"), blank=True, default="")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # Expiry bookkeeping of the daily check (idempotent: one reminder per expiry date).
    reminded_for = models.DateField(_("reminder sent for expiry"), null=True, blank=True)
    expired_at = models.DateTimeField(_("marked expired"), null=True, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")

    history = field_history()

    class Meta:
        verbose_name = _("admission item")
        verbose_name_plural = _("admission items")
        ordering = ["admission_id", "id"]
        constraints = [models.UniqueConstraint(fields=["admission", "code"], name="admission_item_unique_code")]

    def __str__(self):
        return self.get_code_display()

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class AdmissionDocument(models.Model):
    """An uploaded file (scan of the licence, the contract, a certificate) of one item."""

    item = models.ForeignKey(AdmissionItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to="admission/%Y/%m/")
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    content_type = models.CharField(_("content type"), max_length=60, blank=True, default="")
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    history = field_history()

    class Meta:
        verbose_name = _("admission document")
        verbose_name_plural = _("admission documents")
        ordering = ["item_id", "-uploaded_at", "-id"]

    def __str__(self):
        return self.name or self.file.name
