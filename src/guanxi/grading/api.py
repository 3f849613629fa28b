"""REST API of grading (issue 4 item 10).

- `/api/grading/grades/`: each customer's grade row (read; filter `customer`, `scheme`,
  `level`, `unit`), with `POST …/{id}/confirm/` (body: optional `reason`) and
  `POST …/{id}/override/` (body: `level`, `reason` required). Both need
  `grading.confirm_grade`; a broken quota answers 400 with the counts. `GET …/{id}/explanation/`
  gives the explanation computed now.
- `/api/grading/figures/`: yearly business figures, read and written through the services
  (one row per customer and year; amounts are decimal strings in yuan).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guanxi.core.api import ScopedModelViewSet

from . import engine, services
from .forms import customers_in_scope
from .models import BusinessFigure, CustomerGrade


class GradeSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = CustomerGrade
        fields = [
            "id",
            "customer",
            "customer_name",
            "unit",
            "scheme",
            "proposed_level",
            "proposed_at",
            "level",
            "confirmed_by",
            "confirmed_at",
            "reason",
            "source",
            "policy_version",
            "clause",
        ]
        read_only_fields = fields


class ConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class OverrideSerializer(serializers.Serializer):
    level = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class GradeFilter(django_filters.FilterSet):
    class Meta:
        model = CustomerGrade
        fields = ["customer", "scheme", "level", "unit"]


class GradeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only grade rows plus the confirm / override actions (no create, update, delete:
    grades change only through the services)."""

    queryset = CustomerGrade.objects.select_related("customer").order_by("pk")
    serializer_class = GradeSerializer
    filterset_class = GradeFilter
    permission_classes = ScopedModelViewSet.permission_classes
    extra_scope_actions = {"confirm": "view", "override": "view", "explanation": "view"}
    scope_action = ScopedModelViewSet.scope_action
    get_queryset = ScopedModelViewSet.get_queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "user": self.request.user}

    def _customer(self):
        grade = self.get_object()
        return grade.customer

    @extend_schema(request=ConfirmSerializer, responses=GradeSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grade = services.confirm_grade(self._customer(), actor=request.user, reason=body.validated_data.get("reason", ""))
        return Response(GradeSerializer(grade).data)

    @extend_schema(request=OverrideSerializer, responses=GradeSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        grade = services.override_grade(self._customer(), data["level"], actor=request.user, reason=data["reason"])
        return Response(GradeSerializer(grade).data)

    @extend_schema(
        responses=inline_serializer(
            "GradeExplanation",
            {
                "scheme": serializers.CharField(),
                "level": serializers.CharField(),
                "levels": serializers.JSONField(),
                "policy_version": serializers.IntegerField(),
                "clause": serializers.CharField(),
                "year": serializers.IntegerField(),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def explanation(self, request, pk=None):
        return Response(engine.explain(self._customer()))


class FigureSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = BusinessFigure
        fields = ["id", "customer", "customer_name", "year", "sales", "payments", "collection", "overdue_payments", "note", "updated_at"]
        read_only_fields = ["id", "customer_name", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.context.get("user")
        view = self.context.get("view")
        if user is not None and "customer" in self.fields:
            action = "change" if view is not None and getattr(view, "action", "") in ("update", "partial_update") else "add"
            self.fields["customer"].queryset = customers_in_scope(user, BusinessFigure, action)

    def validate(self, attrs):
        if self.instance is not None and "customer" in attrs and attrs["customer"].pk != self.instance.customer_id:
            raise serializers.ValidationError({"customer": "The customer of business figures cannot change."})
        return attrs


class FigureFilter(django_filters.FilterSet):
    class Meta:
        model = BusinessFigure
        fields = ["customer", "year"]


class FigureViewSet(ScopedModelViewSet):
    queryset = BusinessFigure.objects.select_related("customer").order_by("-year", "pk")
    serializer_class = FigureSerializer
    filterset_class = FigureFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.save_figure(actor=self.request.user, customer=data["customer"], year=data["year"], data=data)

    def perform_update(self, serializer):
        figure = serializer.instance
        data = {**{f: getattr(figure, f) for f in services.FIGURE_FIELDS}, "year": figure.year, **serializer.validated_data}
        serializer.instance = services.save_figure(
            actor=self.request.user, customer=figure.customer, year=data["year"], data=data, figure=figure
        )

    def perform_destroy(self, instance):
        services.delete_figure(instance, actor=self.request.user)


def register(router) -> None:
    """Adds this app's API viewsets to the project router."""
    router.register("grading/grades", GradeViewSet, basename="customergrade")
    router.register("grading/figures", FigureViewSet, basename="businessfigure")


__all__ = ["FigureViewSet", "GradeViewSet", "register"]
