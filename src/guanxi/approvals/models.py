"""Approval requests (F-APR-1): a request on any object names an action; its steps come from the
policy and are resolved to approvers when it is submitted (see services)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("Not started")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SKIPPED = "skipped", _("Not reached")


class StepKind(models.TextChoices):
    ROLE = "role", _("Role holder")
    USER = "user", _("Named user")
    SUPERVISOR = "supervisor", _("Supervisor")


class SignMode(models.TextChoices):
    ANY = "any", _("Any one approves (或签)")
    ALL = "all", _("All must approve (会签)")


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SKIPPED = "skipped", _("Not needed")


class ApprovalRequestQuerySet(ScopedQuerySet):
    def involving(self, user):
        """Requests the user made or is (or was) an approver of."""
        return self.filter(involvement_q(user.pk))

    def waiting_for(self, user):
        """Pending requests whose current step waits for this user's decision."""
        waiting = ApprovalAssignment.objects.filter(
            approver_id=user.pk,
            decision=Decision.PENDING,
            step__status=StepStatus.PENDING,
        ).values("step__request_id")
        return self.filter(status=RequestStatus.PENDING, pk__in=waiting)

    def mine(self, user):
        return self.filter(requester_id=user.pk)


def involvement_q(user_id: int) -> Q:
    assigned = ApprovalAssignment.objects.filter(approver_id=user_id).values("step__request_id")
    return Q(requester_id=user_id) | Q(pk__in=assigned)


@register_scoped
class ApprovalRequest(models.Model):
    action = models.CharField(_("action"), max_length=64, db_index=True)
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("object id"), max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    target_repr = models.CharField(_("object"), max_length=255, blank=True, default="")
    title = models.CharField(_("title"), max_length=200)
    payload = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT, related_name="approval_requests"
    )
    requester_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("requester's unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    flow_label = models.CharField(_("flow"), max_length=100, blank=True, default="")
    policy_version = models.PositiveIntegerField(_("policy version"), default=0)
    clause = models.CharField(_("policy clause"), max_length=120, blank=True, default="")
    current_step = models.PositiveSmallIntegerField(_("current step"), default=0)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    objects = ApprovalRequestQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="apr_status_created_idx"),
            models.Index(fields=["requester", "-created_at"], name="apr_requester_idx"),
            models.Index(fields=["content_type", "object_id"], name="apr_target_idx"),
        ]
        constraints = [
            # One open request per action and object: a second submission waits for the first.
            models.UniqueConstraint(
                fields=["action", "content_type", "object_id"],
                condition=Q(status="pending"),
                name="apr_one_pending_per_action_target",
            ),
            models.CheckConstraint(condition=Q(applied_at__isnull=True) | Q(status="approved"), name="apr_applied_only_when_approved"),
            models.CheckConstraint(condition=Q(status="pending") | Q(decided_at__isnull=False), name="apr_decided_has_time"),
        ]

    def __str__(self):
        return self.title or f"{self.action} #{self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.status == RequestStatus.PENDING

    @property
    def is_applied(self) -> bool:
        return self.applied_at is not None

    def current(self):
        """The step waiting for a decision (None once decided)."""
        if not self.is_pending:
            return None
        return self.steps.filter(index=self.current_step).first()

    @classmethod
    def scope_q(cls, principal, level):
        from guanxi.accounts.models import DataScope, OrgUnit

        q = involvement_q(principal.user_id)
        if level == DataScope.SUBORDINATES:
            q |= Q(requester_id__in=principal.subordinate_ids)
        elif level in (DataScope.UNIT, DataScope.UNIT_TREE):
            q |= OrgUnit.unit_filter(principal, level, prefix="requester_unit__")
        return q


class ApprovalStep(models.Model):
    """One sequential step of a request, copied from the policy flow when it was submitted."""

    request = models.ForeignKey(ApprovalRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField(_("step"))
    kind = models.CharField(_("approver"), max_length=16, choices=StepKind.choices)
    mode = models.CharField(_("sign mode"), max_length=8, choices=SignMode.choices, default=SignMode.ANY)
    label = models.CharField(_("label"), max_length=100, blank=True, default="")
    spec = models.JSONField(_("policy step"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING)
    resolved_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("found in unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    escalated_at = models.DateTimeField(_("last escalated"), null=True, blank=True)
    at_top = models.BooleanField(_("escalated to the fallback role"), default=False)

    history = field_history()

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["request", "index"]
        constraints = [models.UniqueConstraint(fields=["request", "index"], name="apr_step_unique_index")]
        indexes = [models.Index(fields=["status", "started_at"], name="apr_step_status_idx")]

    def __str__(self):
        return f"{self.request_id} · {self.index + 1} · {self.label or self.get_kind_display()}"


class ApprovalAssignment(models.Model):
    """An approver of a step and their decision. An assignment added by escalation (`escalated`)
    decides for the whole step, in either sign mode."""

    step = models.ForeignKey(ApprovalStep, verbose_name=_("step"), on_delete=models.CASCADE, related_name="assignments")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.PROTECT, related_name="approval_assignments"
    )
    escalated = models.BooleanField(_("added by escalation"), default=False)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(_("comment"), blank=True, default="")
    created_at = models.DateTimeField(_("assigned"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    history = field_history()

    class Meta:
        verbose_name = _("approval assignment")
        verbose_name_plural = _("approval assignments")
        ordering = ["step", "escalated", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "approver"], name="apr_assignment_unique_approver")]
        indexes = [models.Index(fields=["approver", "decision"], name="apr_assignment_inbox_idx")]

    def __str__(self):
        return f"{self.approver} · {self.get_decision_display()}"
