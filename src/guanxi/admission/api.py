"""Admission API: admissions (scoped through the customer), their items and documents, and the
submit action. Writes go through services.py."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from guanxi.core.api import ScopedModelViewSet
from guanxi.customers.models import Customer

from . import rules, services
from .models import Admission, AdmissionDocument, AdmissionItem, AdmissionStatus, CustomerKind


class DocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = AdmissionDocument
        fields = ["id", "name", "content_type", "size", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return reverse("admission:document", args=[obj.item.admission_id, obj.pk])


class ItemSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = AdmissionItem
        fields = ["code", "label", "required", "confirmed", "document_no", "issued_on", "expires_on", "note", "documents"]
        read_only_fields = ["code", "label", "required", "documents"]

    def get_label(self, obj) -> str:
        return rules.label(obj.code)


class AdmissionSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    customer_kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False, default=CustomerKind.REGULAR)
    exemption_reason = serializers.CharField(required=False, allow_blank=True, default="")
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Admission
        fields = [
            "id",
            "customer",
            "customer_name",
            "customer_kind",
            "exemption_reason",
            "notes",
            "status",
            "checklist",
            "completeness",
            "missing_items",
            "expired_items",
            "next_expiry",
            "items",
            "approval_request",
            "submitted_at",
            "decided_at",
            "decision_comment",
            "admitted_at",
            "policy_version",
            "clause",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "checklist",
            "completeness",
            "missing_items",
            "expired_items",
            "next_expiry",
            "approval_request",
            "submitted_at",
            "decided_at",
            "decision_comment",
            "admitted_at",
            "policy_version",
            "clause",
            "created_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        user = self.context.get("user")
        fields["customer"].queryset = Customer.objects.restrict(user, "view") if user is not None else Customer.objects.none()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["customer"].read_only = True
        return fields

    def create(self, validated_data):
        return services.start(
            validated_data["customer"],
            actor=self.context["user"],
            kind=validated_data.get("customer_kind", CustomerKind.REGULAR),
            reason=validated_data.get("exemption_reason", ""),
            notes=validated_data.get("notes", ""),
        )

    def update(self, instance, validated_data):
        kind = (
            validated_data.get("customer_kind", instance.customer_kind) if "customer_kind" in self.initial_data else instance.customer_kind
        )
        reason = (
            validated_data.get("exemption_reason", instance.exemption_reason)
            if "exemption_reason" in self.initial_data
            else instance.exemption_reason
        )
        return services.update(instance, actor=self.context["user"], kind=kind, reason=reason, notes=validated_data.get("notes"))


class ItemUpdateSerializer(serializers.Serializer):
    confirmed = serializers.BooleanField()
    document_no = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


CODE_PARAM = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(rules.ITEMS), description="Checklist item code.")


class AdmissionViewSet(ScopedModelViewSet):
    """Customer admissions 客户准入 (F-GRD-5). Create starts the admission of a customer (with
    its kind: retail and related-party customers are exempt); `submit` sends it for approval."""

    queryset = Admission.objects.select_related("customer").prefetch_related(
        Prefetch("items", queryset=AdmissionItem.objects.prefetch_related("documents").order_by("id"))
    )
    serializer_class = AdmissionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    extra_scope_actions = {"submit": "change", "update_item": "change", "upload": "change"}
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        qs = super().get_queryset()
        status = self.request.query_params.get("status")
        if status:
            qs = qs.filter(status=status)
        return qs.order_by("-created_at", "-pk")

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in AdmissionStatus])])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=AdmissionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        admission = services.submit(self.get_object(), actor=request.user)
        return Response(self.get_serializer(self._fresh(admission)).data)

    @extend_schema(parameters=[CODE_PARAM], request=ItemUpdateSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["patch"], url_path=r"items/(?P<code>[a-z_]+)")
    def update_item(self, request, pk=None, code=None):
        admission = self.get_object()
        item = get_object_or_404(AdmissionItem, admission=admission, code=code)
        ser = ItemUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        item = services.update_item(item, actor=request.user, **ser.validated_data)
        return Response(ItemSerializer(item).data)

    @extend_schema(
        parameters=[CODE_PARAM],
        request={"multipart/form-data": UploadSerializer},
        responses={201: DocumentSerializer, 400: inline_serializer("AdmissionUploadError", {"detail": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<code>[a-z_]+)/documents", parser_classes=[MultiPartParser, FormParser])
    def upload(self, request, pk=None, code=None):
        admission = self.get_object()
        item = get_object_or_404(AdmissionItem, admission=admission, code=code)
        ser = UploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        document = services.add_document(item, actor=request.user, upload=ser.validated_data["file"])
        return Response(DocumentSerializer(document).data, status=201)

    def _fresh(self, admission):
        return self.get_queryset().get(pk=admission.pk)


def register(router) -> None:
    """Adds this app's API viewsets to the project router."""
    router.register("admissions", AdmissionViewSet, basename="admission")
