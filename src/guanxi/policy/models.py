"""Policy versions (F-POL-1): the policy is data, one JSON document per version, exactly one of
them active. Editing never changes a version: it creates a new one (pending approval), which
becomes active — and the previous one superseded — when the approval is granted."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    ACTIVE = "active", _("Active")
    SUPERSEDED = "superseded", _("Superseded")
    REJECTED = "rejected", _("Rejected")


@register_scoped
class PolicyVersion(models.Model):
    number = models.PositiveIntegerField(_("version"), unique=True)
    data = models.JSONField(_("policy"), encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True)
    base = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The version this one was edited from."),
    )
    diff = models.JSONField(_("changes"), default=list, blank=True, encoder=DjangoJSONEncoder)
    comment = models.TextField(_("comment"), blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    approval_request_id = models.PositiveBigIntegerField(_("approval request"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="policy_one_active_version"),
            models.CheckConstraint(condition=Q(number__gte=1), name="policy_version_number_positive"),
        ]

    def __str__(self):
        return _("Policy version %(number)s") % {"number": self.number}

    @property
    def is_active(self) -> bool:
        return self.status == VersionStatus.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.status == VersionStatus.PENDING

    @classmethod
    def scope_q(cls, principal, level):
        # The policy is company-wide reference data: whoever may read it reads every version.
        return Q()
