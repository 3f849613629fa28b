from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .querysets import ScopedQuerySet, register_scoped


class HistoryContext(models.Model):
    """Extra columns on every historical (field-history) table: where the change came from."""

    history_source = models.CharField(_("source"), max_length=16, blank=True, default="")
    history_request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")
    history_task_id = models.CharField(_("task id"), max_length=64, blank=True, default="")
    history_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        abstract = True


class FieldHistory(HistoricalRecords):
    """Historical tables indexed only where history is looked up: the record's id and its
    foreign keys (a contact's history by customer). simple-history copies every db_index of
    the model, so a customer's history table carried twenty indexes nobody reads, each one
    more write for every row an import or a bulk change records."""

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in fields.items():
            if name != model._meta.pk.name and not field.is_relation:
                field.db_index = False
        return fields


def field_history(**kwargs) -> HistoricalRecords:
    """The one way a model gets field-level history (see core.history)."""
    kwargs.setdefault("bases", [HistoryContext])
    kwargs.setdefault("cascade_delete_history", False)
    return FieldHistory(**kwargs)


class TreeNode(models.Model):
    """Materialised-path tree: `path` is the chain of ids ("/1/4/9/"), so "this unit and all
    below it" is one indexed prefix match on SQLite and PostgreSQL alike."""

    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        old_path = self.path
        if self.parent_id and self.pk and self.parent.path.startswith(old_path or "//"):
            from django.core.exceptions import ValidationError

            raise ValidationError(_("A node cannot be moved below itself."))
        if self.pk is None:
            super().save(*args, **kwargs)
            # The id is known only after the insert; the path is derived, so set it without a
            # second history row.
            self.path, self.depth = self._compute_path()
            type(self)._default_manager.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            return
        self.path, self.depth = self._compute_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Moving a node moves its subtree.
            for child in type(self)._default_manager.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("depth"):
                child.save()

    def ancestors_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p][:-1]

    def descendants(self, include_self=True):
        qs = type(self)._default_manager.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def is_descendant_of(self, other) -> bool:
        return self.path.startswith(other.path) and self.pk != other.pk

    def _compute_path(self) -> tuple[str, int]:
        prefix = self.parent.path if self.parent_id else "/"
        return f"{prefix}{self.pk}/", (self.parent.depth + 1 if self.parent_id else 0)


@register_scoped
class AuditEvent(models.Model):
    """Append-only business audit log (F-SEC-5). Written only by core.audit.record();
    on PostgreSQL a trigger refuses UPDATE and DELETE."""

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    event_type = models.CharField(_("event"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True, default="")
    subject_repr = models.CharField(_("subject"), max_length=255, blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, blank=True, default="")
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")
    task_id = models.CharField(_("task id"), max_length=64, blank=True, default="")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-occurred_at"], name="audit_subject_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_idx"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.event_type}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("audit:detail", args=[self.pk])

    def get_event_type_display(self) -> str:
        from .events import label

        return label(self.event_type)

    def get_source_display(self) -> str:
        from .events import SOURCES

        return str(SOURCES.get(self.source, self.source))

    @classmethod
    def scope_q(cls, principal, level):
        # Audit rows are read by administrators (scope "all"); narrower scopes see their own acts.
        return models.Q(actor_id=principal.user_id)


@register_scoped
class WorkdayOverride(models.Model):
    """A company's own exceptions to the statutory calendar (F-CUS-4 working days), and the
    whole calendar for a year the chinese-calendar package does not know yet."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"

    @classmethod
    def scope_q(cls, principal, level):
        # The calendar is company-wide reference data: whoever may see it sees all of it.
        return models.Q()
