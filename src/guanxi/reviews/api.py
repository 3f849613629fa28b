"""REST API of reviews: review forms (read, fill in, `submit`), review cycles (read), incidents
(read, record) and downgrade tasks (read, `complete`). Scoped through core.api; writes go
through reviews.services."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from guanxi.accounts.api import ScopedRelatedMixin
from guanxi.core.api import ScopedModelViewSet
from guanxi.customers.models import Customer

from . import services
from .models import DowngradeTask, Incident, Review, ReviewCycle


class ReviewCycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewCycle
        fields = [
            "id",
            "unit",
            "period_start",
            "period_end",
            "status",
            "opened_at",
            "opened_by",
            "review_count",
            "policy_version",
            "clause",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    period_start = serializers.DateField(source="cycle.period_start", read_only=True)
    period_end = serializers.DateField(source="cycle.period_end", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "cycle",
            "customer",
            "customer_name",
            "period_start",
            "period_end",
            "owner",
            "unit",
            "scheme",
            "current_level",
            "incidents",
            "serious_incidents",
            "contract_performance",
            "payment_timeliness",
            "credit",
            "result",
            "suggested_level",
            "proposed_level",
            "comment",
            "status",
            "submitted_at",
            "decided_at",
            "applied_level",
            "approval",
            "policy_version",
            "clause",
        ]
        read_only_fields = [f for f in fields if f not in services.EDITABLE_FIELDS]

    def update(self, instance, validated_data):
        return services.update_review(instance, actor=self.context["user"], data=validated_data)


class SubmitSerializer(serializers.Serializer):
    """Optional last changes, saved before submitting."""

    contract_performance = serializers.CharField(required=False, allow_blank=True)
    payment_timeliness = serializers.CharField(required=False, allow_blank=True)
    credit = serializers.CharField(required=False, allow_blank=True)
    result = serializers.CharField(required=False, allow_blank=True)
    proposed_level = serializers.CharField(required=False, allow_blank=True)
    comment = serializers.CharField(required=False, allow_blank=True)


class ReviewFilterSet(filters.FilterSet):
    class Meta:
        model = Review
        fields = ["status", "cycle", "customer", "owner", "result"]


class ReviewViewSet(ScopedModelViewSet):
    """Review forms 阶段评价表. PATCH fills in a form; POST …/submit/ sends it to approval."""

    queryset = Review.objects.select_related("customer", "cycle").order_by("-cycle__period_start", "-id")
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilterSet
    http_method_names = ["get", "patch", "post", "head", "options"]
    extra_scope_actions = {"submit": "change"}

    @extend_schema(exclude=True)
    def create(self, request, *args, **kwargs):  # forms are created by review cycles only
        raise MethodNotAllowed(request.method)

    @extend_schema(request=SubmitSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        review = self.get_object()
        data = SubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.submit_review(review, actor=request.user, data=dict(data.validated_data) or None)
        return Response(ReviewSerializer(review, context=self.get_serializer_context()).data)


class ReviewCycleViewSet(ScopedModelViewSet):
    queryset = ReviewCycle.objects.order_by("-period_start", "-id")
    serializer_class = ReviewCycleSerializer
    filterset_fields = ["unit", "status"]
    http_method_names = ["get", "head", "options"]


class IncidentSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "customer", "customer_name", "kind", "serious", "date", "description", "recorded_by", "created_at"]
        read_only_fields = ["id", "customer_name", "recorded_by", "created_at"]

    def create(self, validated_data):
        return services.record_incident(
            validated_data["customer"],
            actor=self.context["user"],
            kind=validated_data["kind"],
            serious=validated_data.get("serious", False),
            date=validated_data.get("date"),
            description=validated_data.get("description", ""),
        )


class IncidentViewSet(ScopedModelViewSet):
    """Incidents on customers; recording a serious one may open a downgrade task."""

    queryset = Incident.objects.select_related("customer").order_by("-date", "-id")
    serializer_class = IncidentSerializer
    filterset_fields = ["customer", "kind", "serious"]
    http_method_names = ["get", "post", "head", "options"]


class DowngradeTaskSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = DowngradeTask
        fields = [
            "id",
            "customer",
            "customer_name",
            "incident",
            "assignee",
            "unit",
            "from_level",
            "to_level",
            "due_date",
            "status",
            "escalated_at",
            "created_at",
            "completed_at",
            "completed_by",
            "applied_level",
            "note",
            "policy_version",
            "clause",
        ]
        read_only_fields = fields


class CompleteSerializer(serializers.Serializer):
    level = serializers.CharField(required=False, allow_blank=True, help_text="Lower grade to set; the task's proposal when empty.")
    note = serializers.CharField(required=False, allow_blank=True)


class DowngradeTaskViewSet(ScopedModelViewSet):
    """Downgrade tasks; POST …/complete/ sets the lower grade."""

    queryset = DowngradeTask.objects.select_related("customer").order_by("due_date", "-id")
    serializer_class = DowngradeTaskSerializer
    filterset_fields = ["status", "customer", "assignee"]
    http_method_names = ["get", "post", "head", "options"]
    extra_scope_actions = {"complete": "change"}

    @extend_schema(exclude=True)
    def create(self, request, *args, **kwargs):  # tasks are opened by serious incidents only
        raise MethodNotAllowed(request.method)

    @extend_schema(request=CompleteSerializer, responses=DowngradeTaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = self.get_object()
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.complete_downgrade(
            task, actor=request.user, level=data.validated_data.get("level", ""), note=data.validated_data.get("note", "")
        )
        return Response(DowngradeTaskSerializer(task, context=self.get_serializer_context()).data)


def register(router) -> None:
    """Adds this app's API viewsets to the project router."""
    router.register("reviews/forms", ReviewViewSet, basename="review")
    router.register("reviews/cycles", ReviewCycleViewSet, basename="reviewcycle")
    router.register("reviews/incidents", IncidentViewSet, basename="incident")
    router.register("reviews/downgrade-tasks", DowngradeTaskViewSet, basename="downgradetask")
