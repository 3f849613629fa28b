"""REST API of accounts and organisation: users, units, regions, roles (reads by scope, writes
through accounts.services, so the same rules and audit events apply) and `me`."""

from __future__ import annotations

from django.db.models import Manager, Prefetch
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api import ScopedModelViewSet
from guanxi.core.querysets import ScopedQuerySet

from . import services
from .access import principal_for
from .filters import OrgUnitFilter, RegionFilter, RoleFilter, UserFilter
from .models import SCOPE_ORDER, OrgUnit, Position, Region, Role, User


class ScopedRelatedMixin:
    """Related-object fields accept only objects the caller may see (as form choices do)."""

    def get_fields(self):
        fields = super().get_fields()
        user = self.context.get("user")
        for field in fields.values():
            target = getattr(field, "child_relation", field)
            qs = getattr(target, "queryset", None)
            if isinstance(qs, Manager):  # ModelSerializer passes the model's default manager
                qs = qs.all()
            if isinstance(qs, ScopedQuerySet):
                target.queryset = qs.restrict(user, "view")
        return fields


class PositionSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    role_code = serializers.CharField(source="role.code", read_only=True)

    class Meta:
        model = Position
        fields = ["id", "unit", "unit_code", "role", "role_code", "reports_to", "is_primary", "valid_from", "valid_until"]
        read_only_fields = fields


class UserSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}, help_text="Only on create."
    )
    positions = PositionSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "password",
            "full_name",
            "email",
            "employee_no",
            "mobile",
            "language",
            "is_active",
            "deactivated_at",
            "last_login",
            "date_joined",
            "positions",
        ]
        read_only_fields = ["is_active", "deactivated_at", "last_login", "date_joined", "positions"]

    def validate_username(self, value):
        if self.instance is not None and value != self.instance.username:
            raise serializers.ValidationError("The username cannot be changed.")
        return value

    def create(self, validated):
        return services.create_user(**validated)

    def update(self, instance, validated):
        validated.pop("username", None)
        validated.pop("password", None)
        return services.update_user(instance, **validated)


class OrgUnitSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "code", "kind", "parent", "region", "sort_order", "is_active", "path", "depth"]
        read_only_fields = ["path", "depth"]

    def create(self, validated):
        return services.create_org_unit(**validated)

    def update(self, instance, validated):
        return services.update_org_unit(instance, **validated)


class RegionSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "code", "kind", "parent", "is_active", "path", "depth"]
        read_only_fields = ["path", "depth"]

    def create(self, validated):
        return services.create_region(**validated)

    def update(self, instance, validated):
        return services.update_region(instance, **validated)


class RoleSerializer(serializers.ModelSerializer):
    permissions = serializers.ListField(child=serializers.CharField(), required=False)
    scope_overrides = serializers.DictField(child=serializers.ChoiceField(choices=SCOPE_ORDER), required=False)

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "description",
            "permissions",
            "data_scope",
            "scope_overrides",
            "require_2fa",
            "is_active",
        ]

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError("The code of a role cannot be changed.")
        return value

    def create(self, validated):
        return services.create_role(**validated)

    def update(self, instance, validated):
        validated.pop("code", None)
        return services.update_role(instance, **validated)


class DeactivateSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


# Reads and writes are "view"/"add"/"change"; nothing is deleted through the API (users are
# deactivated, units/regions/roles switched inactive), so DELETE is not offered.
WRITE_METHODS = ["get", "post", "put", "patch", "head", "options"]


@extend_schema_view(
    deactivate=extend_schema(request=DeactivateSerializer, responses=UserSerializer),
    reactivate=extend_schema(request=None, responses=UserSerializer),
)
class UserViewSet(ScopedModelViewSet):
    """Users in the caller's data scope. Creating sets a password only if one is given."""

    queryset = User.objects.order_by("username").prefetch_related(
        Prefetch("positions", queryset=Position.objects.select_related("unit", "role"))
    )
    serializer_class = UserSerializer
    filterset_class = UserFilter
    http_method_names = WRITE_METHODS
    extra_scope_actions = {"deactivate": "change", "reactivate": "change"}

    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        user = self.get_object()
        body = DeactivateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.deactivate_user(user, reason=body.validated_data.get("reason", ""))
        return Response(UserSerializer(user, context=self.get_serializer_context()).data)

    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        user = self.get_object()
        services.reactivate_user(user)
        return Response(UserSerializer(user, context=self.get_serializer_context()).data)


class OrgUnitViewSet(ScopedModelViewSet):
    queryset = OrgUnit.objects.order_by("path")
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter
    http_method_names = WRITE_METHODS


class RegionViewSet(ScopedModelViewSet):
    queryset = Region.objects.order_by("path")
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    http_method_names = WRITE_METHODS


class RoleViewSet(ScopedModelViewSet):
    queryset = Role.objects.order_by("code")
    serializer_class = RoleSerializer
    filterset_class = RoleFilter
    http_method_names = WRITE_METHODS


MeSerializer = inline_serializer(
    "Me",
    {
        "id": serializers.IntegerField(),
        "username": serializers.CharField(),
        "full_name": serializers.CharField(),
        "email": serializers.CharField(),
        "language": serializers.CharField(),
        "positions": PositionSerializer(many=True),
        "permissions": serializers.ListField(child=serializers.CharField()),
        "require_2fa": serializers.BooleanField(),
    },
)


class _SingleObjectSchema(AutoSchema):
    # /api/me/ is routed as a "list" but answers one object.
    def _is_list_view(self, serializer=None):
        return False


class MeViewSet(viewsets.ViewSet):
    """The caller: name, positions and the permission codes their roles grant."""

    permission_classes = [permissions.IsAuthenticated]
    schema = _SingleObjectSchema()

    @extend_schema(operation_id="me_retrieve", responses={200: OpenApiResponse(MeSerializer)})
    def list(self, request):
        user = request.user
        p = principal_for(user)
        positions = Position.objects.filter(user=user).select_related("unit", "role").order_by("-is_primary", "pk")
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "full_name": user.full_name,
                "email": user.email,
                "language": user.language,
                "positions": PositionSerializer(positions, many=True).data,
                "permissions": sorted(p.permissions) if p else [],
                "require_2fa": bool(p and p.require_2fa),
            }
        )


def register(router):
    """Adds this app's viewsets to the API router."""
    router.register("users", UserViewSet, basename="user")
    router.register("org-units", OrgUnitViewSet, basename="orgunit")
    router.register("regions", RegionViewSet, basename="region")
    router.register("roles", RoleViewSet, basename="role")
    router.register("me", MeViewSet, basename="me")
