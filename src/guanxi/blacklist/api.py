"""API: blacklist entries (list/retrieve within the scope, create, lift). Entries are never
edited or deleted: they are lifted, and the history stays."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.accounts.models import OrgUnit
from guanxi.core.api import ScopedModelViewSet
from guanxi.customers.models import Customer

from . import services
from .filters import EntryFilter
from .models import BlacklistEntry, Level


class EntrySerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default="")
    list_name = serializers.CharField(read_only=True)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        help_text="Department entry: the department whose list it is (default: the caller's unit). Company entry: ignored.",
    )

    class Meta:
        model = BlacklistEntry
        fields = [
            "id",
            "customer",
            "customer_name",
            "level",
            "list_name",
            "unit",
            "unit_name",
            "reason",
            "evidence",
            "status",
            "created_by",
            "created_at",
            "approval",
            "activated_at",
            "decided_by",
            "lifted_at",
            "lifted_by",
            "lift_reason",
            "policy_version",
            "clause",
        ]
        read_only_fields = [
            "status",
            "created_by",
            "created_at",
            "approval",
            "activated_at",
            "decided_by",
            "lifted_at",
            "lifted_by",
            "lift_reason",
            "policy_version",
            "clause",
        ]


class LiftSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


@extend_schema(tags=["blacklist"])
class EntryViewSet(ScopedModelViewSet):
    """Blacklist entries the caller may see (company entries, and the lists of their
    departments). POST adds a department entry (in force at once) or proposes a company entry
    (status "pending" until the marketing division approves)."""

    queryset = BlacklistEntry.objects.select_related("customer", "unit")
    serializer_class = EntrySerializer
    filterset_class = EntryFilter
    http_method_names = ["get", "post", "head", "options"]
    extra_scope_actions = {"lift": "lift"}

    def get_serializer_class(self):
        return LiftSerializer if self.action == "lift" else EntrySerializer

    def create(self, request, *args, **kwargs):
        serializer = EntrySerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.add_entry(
            customer=data["customer"],
            level=data["level"],
            actor=request.user,
            reason=data["reason"],
            evidence=data.get("evidence", ""),
            unit=data.get("unit") if data["level"] == Level.DEPARTMENT else None,
        )
        return Response(EntrySerializer(entry, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LiftSerializer, responses=EntrySerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        entry = get_object_or_404(self.get_queryset(), pk=pk)
        data = LiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.lift_entry(entry, actor=request.user, reason=data.validated_data["reason"])
        return Response(EntrySerializer(entry, context=self.get_serializer_context()).data)


def register(router) -> None:
    """Adds this app's API viewsets to the project router."""
    router.register("blacklist/entries", EntryViewSet, basename="blacklistentry")
