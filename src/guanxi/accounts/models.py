import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import TreeNode, field_history
from guanxi.core.querysets import ScopedQuerySet, register_scoped


class DataScope(models.TextChoices):
    """The five data-scope levels of F-ORG-2, narrowest first."""

    SELF = "self", _("Own records (本人)")
    SUBORDINATES = "subordinates", _("Own and subordinates' (本人及下属)")
    UNIT = "unit", _("Own unit (本部门)")
    UNIT_TREE = "unit_tree", _("Own unit and sub-units (本部门及下属部门)")
    ALL = "all", _("All (全部)")


SCOPE_ORDER = [c.value for c in DataScope]


class GuanxiUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


@register_scoped
class User(AbstractUser):
    """A person with a login. Roles and units come from positions, never from Django groups."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True, default="")
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True, default="")
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, default="")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

    objects = GuanxiUserManager()
    history = field_history(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self):
        return self.full_name or self.username

    def get_full_name(self):
        return self.full_name or self.username

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("org:user_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        if level == DataScope.SELF:
            return Q(pk=principal.user_id)
        if level == DataScope.SUBORDINATES:
            return Q(pk__in=principal.subordinate_ids | {principal.user_id})
        units = Position.objects.filter(OrgUnit.unit_filter(principal, level, prefix="unit__")).values("user_id")
        return Q(pk=principal.user_id) | Q(pk__in=units)


class UnitKind(models.TextChoices):
    COMPANY = "company", _("Company")
    BRANCH = "branch", _("Branch (分公司)")
    DIVISION = "division", _("Division (事业部)")
    DEPARTMENT = "department", _("Department")
    TEAM = "team", _("Team")


@register_scoped
class OrgUnit(TreeNode):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    region = models.ForeignKey("Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT, related_name="units")
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("org:unit_detail", args=[self.pk])

    @staticmethod
    def unit_filter(principal, level, prefix=""):
        """Q over OrgUnit (through `prefix`) for the units a scope level covers."""
        if level in (DataScope.UNIT_TREE,):
            q = Q(pk__in=[])
            for path in principal.unit_paths:
                q |= Q(**{f"{prefix}path__startswith": path})
            return q
        return Q(**{f"{prefix}pk__in": principal.unit_ids})

    @classmethod
    def scope_q(cls, principal, level):
        if level in (DataScope.SELF, DataScope.SUBORDINATES):
            level = DataScope.UNIT
        return cls.unit_filter(principal, level)


class RegionKind(models.TextChoices):
    AREA = "area", _("Area (片区)")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")


@register_scoped
class Region(TreeNode):
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RegionKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("org:region_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        # Regions are reference data: any narrower scope still reads the whole tree.
        return Q()


@register_scoped
class Role(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    data_scope = models.CharField(_("data scope"), max_length=16, choices=DataScope.choices, default=DataScope.SELF)
    scope_overrides = models.JSONField(
        _("scope per model"),
        default=dict,
        blank=True,
        help_text=_('Optional, e.g. {"accounts.user": "all"}: a different scope for one model.'),
    )
    require_2fa = models.BooleanField(_("requires two-factor login"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    history = field_history()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self):
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("org:role_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, principal, level):
        return Q(pk__in=principal.role_ids)


class Position(models.Model):
    """A user's place in the organisation: a unit, a role in it, and whom they report to."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="positions")
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="positions")
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="positions")
    reports_to = models.ForeignKey(
        User, verbose_name=_("reports to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports"
    )
    is_primary = models.BooleanField(_("primary"), default=True)
    valid_from = models.DateField(_("from"), null=True, blank=True)
    valid_until = models.DateField(_("until"), null=True, blank=True)

    history = field_history()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="position_unique_user_unit_role")]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.role}"

    def is_current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= today) and (self.valid_until is None or today <= self.valid_until)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the key is stored; the key is shown once."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    history = field_history(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class UserSession(models.Model):
    """Sessions opened by a user, so deactivation can end every one of them at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
