"""REST API of the approval engine: requests in scope (read-only) and the decisions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import queries, registry, services
from .models import ApprovalAssignment, ApprovalRequest, ApprovalStep, RequestStatus


class AssignmentSerializer(serializers.ModelSerializer):
    approver_name = serializers.CharField(source="approver.__str__", read_only=True)

    class Meta:
        model = ApprovalAssignment
        fields = ["id", "approver", "approver_name", "escalated", "decision", "comment", "decided_at"]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    assignments = AssignmentSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalStep
        fields = [
            "id",
            "index",
            "kind",
            "mode",
            "label",
            "status",
            "started_at",
            "completed_at",
            "escalated",
            "resolved_unit",
            "assignments",
        ]
        read_only_fields = fields


class ApprovalRequestSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    target_type = serializers.SerializerMethodField()
    requester_name = serializers.CharField(source="requester.__str__", read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "action",
            "action_label",
            "title",
            "status",
            "target_type",
            "object_id",
            "target_repr",
            "requester",
            "requester_name",
            "requester_unit",
            "flow_label",
            "policy_version",
            "clause",
            "current_step",
            "created_at",
            "decided_at",
            "decided_by",
            "applied_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_action_label(self, obj) -> str:
        return str(registry.label_for(obj.action))

    @extend_schema_field(OpenApiTypes.STR)
    def get_target_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [*ApprovalRequestSerializer.Meta.fields, "payload", "steps"]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="", help_text="Required when rejecting.")


class ApprovalRequestFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RequestStatus.choices)
    action = filters.CharFilter()

    class Meta:
        model = ApprovalRequest
        fields = ["status", "action"]


BOX_PARAM = OpenApiParameter(
    "box",
    str,
    enum=["waiting", "mine", "all"],
    description="waiting: waiting for my decision; mine: submitted by me; all (default): every request I can see.",
)


@extend_schema(tags=["approvals"])
class ApprovalRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Approval requests the caller made, is an approver of, or sees through their role's scope."""

    permission_classes = [permissions.IsAuthenticated]
    queryset = ApprovalRequest.objects.none()
    filterset_class = ApprovalRequestFilter

    def get_queryset(self):
        user = self.request.user
        box = self.request.query_params.get("box", "all") if self.action == "list" else "all"
        qs = queries.inbox(user, box if box in queries.TABS else "all")
        if self.action != "list":
            qs = queries.with_steps(qs)
        return qs

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            # Out of scope → 404; no view permission and not involved → 403.
            if not queries.may_browse(self.request.user):
                raise PermissionDenied from None
            raise

    def get_serializer_class(self):
        if self.action in ("retrieve", "approve", "reject", "cancel"):
            return ApprovalRequestDetailSerializer
        return ApprovalRequestSerializer

    @extend_schema(parameters=[BOX_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _after(self, req):
        fresh = queries.with_steps(ApprovalRequest.objects.filter(pk=req.pk)).get()
        return Response(ApprovalRequestDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=DecisionSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        req = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._after(services.approve(req, request.user, data.validated_data["comment"]))

    @extend_schema(request=DecisionSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        req = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._after(services.reject(req, request.user, data.validated_data["comment"]))

    @extend_schema(request=None, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._after(services.cancel(self.get_object(), request.user))


def register(router):
    """Adds this app's viewsets to the API router."""
    router.register("approvals/requests", ApprovalRequestViewSet, basename="approval-request")
