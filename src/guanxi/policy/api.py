"""REST API of the policy: the current policy (typed JSON with its version) and the versions
with their diffs. Read-only: changes are proposed in the UI or by YAML import and approved."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from guanxi.core.api import ScopedReadOnlyViewSet

from . import services
from .models import PolicyVersion


class ChangeSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Clause key, e.g. pool.reclaim_after_days.")
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class PolicyVersionSerializer(serializers.ModelSerializer):
    base = serializers.SlugRelatedField(slug_field="number", read_only=True, help_text="Number of the version this one was edited from.")
    created_by = serializers.StringRelatedField()
    approved_by = serializers.StringRelatedField()
    diff = ChangeSerializer(many=True, read_only=True)

    class Meta:
        model = PolicyVersion
        fields = [
            "id",
            "number",
            "status",
            "base",
            "comment",
            "created_by",
            "created_at",
            "approved_by",
            "activated_at",
            "approval_request_id",
            "diff",
        ]
        read_only_fields = fields


class PolicyVersionDetailSerializer(PolicyVersionSerializer):
    data = serializers.JSONField(read_only=True, help_text="The whole policy of this version.")

    class Meta(PolicyVersionSerializer.Meta):
        fields = [*PolicyVersionSerializer.Meta.fields, "data"]
        read_only_fields = fields


class PolicyVersionViewSet(ScopedReadOnlyViewSet):
    queryset = PolicyVersion.objects.select_related("base", "created_by", "approved_by")
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    filterset_fields = ["status"]

    def get_serializer_class(self):
        return PolicyVersionDetailSerializer if self.action == "retrieve" else PolicyVersionSerializer


CurrentPolicySerializer = inline_serializer(
    "CurrentPolicy",
    fields={
        "version": serializers.IntegerField(help_text="Number of the active version (0 = the shipped default)."),
        "data": serializers.JSONField(help_text="The whole policy: one object per section."),
    },
)


class CurrentPolicyViewSet(viewsets.ViewSet):
    """The policy in force."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=CurrentPolicySerializer, summary="The current policy")
    def list(self, request):
        if not request.user.has_perm(services.VIEW_PERMISSION):
            raise PermissionDenied
        policy = services.current()
        return Response({"version": policy.version, "data": services.to_json(policy)})


def register(router):
    """Adds this app's viewsets to the API router."""
    router.register("policy/versions", PolicyVersionViewSet, basename="policy-version")
    router.register("policy/current", CurrentPolicyViewSet, basename="policy-current")
