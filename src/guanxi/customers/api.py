"""REST API of the customer archive (issue 3 item 11): customers and contacts, read through the
data scope, written through customers.services (same validation, duplicate check, optimistic
version check and audit events as the pages).

- `/api/customers/`: filters on every classification field (the list page's CustomerFilter),
  `search` (or `q`) for name / pinyin / initials / phone / mobile / credit code / contact name,
  `ordering`; pages without a total count (fast at a million rows). Create checks duplicates
  across the whole database: 409 with the hits (id, name, owner, reasons only) unless
  `confirm_duplicates=true` (body or query). Update needs the `version` that was read (409 when
  someone saved in between). Contacts and departments may be given inline on create.
- `/api/contacts/`: personal fields (mobile, ID number, address, birthday, family background)
  are masked (138****5678). A user with `customers.view_personal_contact` gets the full values
  by asking `reveal=true`; that writes one `personal_data.viewed` audit event per response.
"""

from __future__ import annotations

from collections import OrderedDict

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from guanxi.accounts.access import principal_for
from guanxi.accounts.api import ScopedRelatedMixin
from guanxi.core import audit
from guanxi.core.api import ScopedModelViewSet
from guanxi.core.errors import DomainError

from . import services
from .filters import CustomerFilter
from .models import STATIC_FIELDS, Contact, Customer, CustomerDepartment, DecisionRole
from .privacy import FIELD_KINDS, can_see_personal, mask, personal_fields

TRUE = {"1", "true", "yes", "on"}


def _flag(request, name: str) -> bool:
    if request is None:
        return False
    value = request.query_params.get(name)
    if value is None and hasattr(request, "data") and isinstance(request.data, dict):
        value = request.data.get(name)
    return str(value).strip().lower() in TRUE if value is not None else False


# ---------------------------------------------------------------- pagination


class NoCountPagination(BasePagination):
    """Page-number pagination that never counts the whole list: it reads one row more than a
    page to know whether a next page exists."""

    page_size = 50
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        try:
            self.page = max(1, int(request.query_params.get(self.page_query_param, 1)))
        except (TypeError, ValueError):
            self.page = 1
        try:
            size = int(request.query_params.get(self.page_size_query_param, self.page_size))
        except (TypeError, ValueError):
            size = self.page_size
        self.size = max(1, min(size, self.max_page_size))
        start = (self.page - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        next_url = replace_query_param(url, self.page_query_param, self.page + 1) if self.has_next else None
        if self.page <= 1:
            previous_url = None
        elif self.page == 2:
            previous_url = remove_query_param(url, self.page_query_param)
        else:
            previous_url = replace_query_param(url, self.page_query_param, self.page - 1)
        return Response(OrderedDict([("next", next_url), ("previous", previous_url), ("results", data)]))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query", "description": "Page number.", "schema": {"type": "integer"}},
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Rows per page (at most 200).",
                "schema": {"type": "integer"},
            },
        ]


# ---------------------------------------------------------------- filters


class CustomerApiFilter(CustomerFilter):
    search = django_filters.CharFilter(method="search", label=_("Name, pinyin, initials, phone, mobile, credit code or contact name"))

    class Meta(CustomerFilter.Meta):
        fields = [*CustomerFilter.Meta.fields, "search"]


class ContactApiFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    department = django_filters.NumberFilter(field_name="department_id", label=_("Department"))
    decision_role = django_filters.ChoiceFilter(choices=DecisionRole.choices, label=_("Decision role"))
    is_primary = django_filters.BooleanFilter(label=_("Primary contact"))
    name = django_filters.CharFilter(field_name="name", lookup_expr="startswith", label=_("Name begins with"))

    class Meta:
        model = Contact
        fields = ["customer", "department", "decision_role", "is_primary", "name"]


# ---------------------------------------------------------------- serializers


@extend_schema_field({"type": "array", "items": {"type": "string", "maxLength": 40}})
class TagNamesField(serializers.Field):
    """Tags as a list of names; unknown names create tags."""

    def to_representation(self, value):
        return [t.name for t in value.all()]

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
            raise serializers.ValidationError(_("Give the tags as a list of names."))
        return data


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerDepartment
        fields = ["id", "name", "business_info", "communication_info", "background_info"]
        read_only_fields = ["id"]


class ContactInlineSerializer(serializers.Serializer):
    """A contact given inline when creating a customer."""

    name = serializers.CharField(max_length=60)
    title = serializers.CharField(max_length=60, required=False, allow_blank=True)
    department_name = serializers.CharField(max_length=80, required=False, allow_blank=True, help_text="Name of an inline department.")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    mobile = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    decision_role = serializers.ChoiceField(choices=DecisionRole.choices, required=False, allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True)
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    experience = serializers.CharField(required=False, allow_blank=True)
    family = serializers.CharField(required=False, allow_blank=True)
    hobbies = serializers.CharField(required=False, allow_blank=True)
    needs = serializers.CharField(required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)


class DuplicateHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    blacklisted = serializers.BooleanField()
    flags = serializers.ListField(child=serializers.CharField(), required=False)


class DuplicateResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    hits = DuplicateHitSerializer(many=True)


CUSTOMER_FIELDS = [
    "id",
    *STATIC_FIELDS,
    "is_key",
    "tags",
    "custom_data",
    "owner",
    "owner_name",
    "unit",
    "unit_name",
    "first_contact_date",
    "filing_deadline",
    "filed_at",
    "change_report_deadline",
    "completeness",
    "missing_fields",
    "merged_into",
    "version",
    "created_at",
    "updated_at",
]
CUSTOMER_READ_ONLY = [
    "filing_deadline",
    "filed_at",
    "change_report_deadline",
    "completeness",
    "missing_fields",
    "merged_into",
    "created_at",
    "updated_at",
]


class CustomerSerializer(ScopedRelatedMixin, serializers.ModelSerializer):
    tags = TagNamesField(required=False)
    owner_name = serializers.CharField(source="owner.full_name", read_only=True, default="")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    # Identifiers are validated and normalised by the service (full-width input accepted).
    credit_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    fax = serializers.CharField(max_length=40, required=False, allow_blank=True)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you read; required on update (409 if the record changed since)."
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Customer._meta.get_field("unit").related_model.objects.all(),
        required=False,
        help_text="Owning unit; defaults to the owner's (or your) unit.",
    )
    custom_data = serializers.JSONField(required=False, help_text="Custom fields of the category: {key: value}.")
    contacts = ContactInlineSerializer(many=True, required=False, write_only=True, help_text="Contacts to create with the customer.")
    departments = DepartmentSerializer(many=True, required=False, help_text="The customer's departments (inline on create).")
    confirm_duplicates = serializers.BooleanField(
        required=False, default=False, write_only=True, help_text="Save even though possible duplicates exist."
    )

    class Meta:
        model = Customer
        fields = [*CUSTOMER_FIELDS, "departments", "contacts", "confirm_duplicates"]
        read_only_fields = CUSTOMER_READ_ONLY

    def _payload(self, validated) -> tuple[dict, list, list, bool, int | None]:
        validated = dict(validated)
        contacts = [dict(c) for c in validated.pop("contacts", [])]
        departments = [dict(d) for d in validated.pop("departments", [])]
        confirm = validated.pop("confirm_duplicates", False) or _flag(self.context.get("request"), "confirm_duplicates")
        version = validated.pop("version", None)
        return validated, contacts, departments, confirm, version

    def create(self, validated):
        data, contacts, departments, confirm, _version = self._payload(validated)
        return services.create_customer(
            actor=self.context["user"], data=data, contacts=contacts, departments=departments, confirm_duplicates=confirm
        )

    def update(self, instance, validated):
        if "departments" in validated or "contacts" in validated:
            raise DRFValidationError({"departments": [_("Change departments and contacts through their own endpoints.")]})
        data, _contacts, _departments, confirm, version = self._payload(validated)
        if version is None:
            request = self.context.get("request")
            header = request.headers.get("If-Match", "").strip('"W/ ') if request is not None else ""
            version = int(header) if header.isdigit() else None
        if version is None:
            raise DRFValidationError({"version": [_("Send the version of the record you read, so a concurrent change is detected.")]})
        return services.update_customer(
            instance,
            actor=self.context["user"],
            data=data,
            expected_version=version,
            check_duplicates=True,
            confirm_duplicates=confirm,
        )


class CustomerDetailSerializer(CustomerSerializer):
    key_customer_warning = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "key_customer_warning"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_key_customer_warning(self, obj):
        warning = services.key_customer_warning(obj)
        return str(warning) if warning else None


@extend_schema_field({"type": "string", "nullable": True, "description": "YYYY-MM-DD, or ****-**-** when masked."})
class BirthdayField(serializers.DateField):
    def to_representation(self, value):
        if isinstance(value, str):
            return value
        return super().to_representation(value)


class ContactSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    mobile = serializers.CharField(max_length=40, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    birthday = BirthdayField(required=False, allow_null=True)
    erased = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "customer_name",
            "department",
            "name",
            "title",
            "phone",
            "mobile",
            "email",
            "decision_role",
            "birthday",
            "id_number",
            "address",
            "experience",
            "family",
            "hobbies",
            "needs",
            "is_primary",
            "erased",
            "masked",
        ]

    def get_fields(self):
        fields = super().get_fields()
        user = self.context.get("user")
        fields["customer"].queryset = self._customers_for(user)
        fields["department"].queryset = CustomerDepartment.objects.filter(customer__in=fields["customer"].queryset)
        return fields

    @staticmethod
    def _customers_for(user):
        """Customers whose contacts the user may add (the Contact scope follows the customer's)."""
        principal = principal_for(user) if user is not None else None
        if principal is None:
            return Customer.objects.none()
        level = principal.scope_level(Contact, "add")
        if level is None:
            return Customer.objects.none()
        if level == "all":
            return Customer.objects.all()
        return Customer.objects.filter(Customer.scope_q(principal, level))

    def get_erased(self, obj) -> bool:
        return obj.erased_at is not None

    def get_masked(self, obj) -> bool:
        return not self.context.get("reveal", False)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("reveal", False):
            for field in personal_fields():
                if data.get(field):
                    data[field] = mask(data[field], FIELD_KINDS[field])
        return data

    def validate(self, attrs):
        if self.instance is not None and "customer" in attrs and attrs["customer"].pk != self.instance.customer_id:
            raise DRFValidationError({"customer": [_("A contact cannot be moved to another customer.")]})
        return attrs

    def create(self, validated):
        customer = validated.pop("customer")
        return services.add_contact(customer, actor=self.context["user"], data=validated)

    def update(self, instance, validated):
        validated.pop("customer", None)
        return services.update_contact(instance, actor=self.context["user"], data=validated)


# ---------------------------------------------------------------- viewsets


class DomainErrorMixin:
    """Turns a duplicate check into 409 with its hits (the generic handler does the rest)."""

    def handle_exception(self, exc):
        if isinstance(exc, DomainError) and getattr(exc, "hits", None) is not None:
            hits = [h.as_dict() if hasattr(h, "as_dict") else dict(h) for h in exc.hits]
            for hit in hits:
                hit.setdefault("id", hit.pop("customer_id", None))
            return Response({"detail": str(exc), "code": "duplicate", "hits": hits}, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)


CONFIRM_PARAM = OpenApiParameter(
    "confirm_duplicates", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="Save even though possible duplicates exist."
)
REVEAL_PARAM = OpenApiParameter(
    "reveal",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="Show personal fields unmasked (needs customers.view_personal_contact; audited).",
)


@extend_schema_view(
    list=extend_schema(summary="Customers in your data scope"),
    retrieve=extend_schema(responses=CustomerDetailSerializer),
    create=extend_schema(
        parameters=[CONFIRM_PARAM],
        responses={201: CustomerDetailSerializer, 409: OpenApiResponse(DuplicateResponseSerializer, description="Possible duplicates")},
    ),
    update=extend_schema(
        parameters=[CONFIRM_PARAM],
        responses={200: CustomerDetailSerializer, 409: OpenApiResponse(description="Changed by someone else, or duplicates")},
    ),
    partial_update=extend_schema(
        parameters=[CONFIRM_PARAM],
        responses={200: CustomerDetailSerializer, 409: OpenApiResponse(description="Changed by someone else, or duplicates")},
    ),
)
class CustomerViewSet(DomainErrorMixin, ScopedModelViewSet):
    """Customers (F-CUS-1) in the caller's data scope."""

    queryset = Customer.objects.live().order_by("-id")
    serializer_class = CustomerSerializer
    filterset_class = CustomerApiFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["id", "name", "created_at", "updated_at", "completeness", "filing_deadline", "status"]
    pagination_class = NoCountPagination

    def get_queryset(self):
        return super().get_queryset().select_related("owner", "unit").prefetch_related("tags", "departments")

    def get_serializer_class(self):
        if self.action in ("retrieve", "create", "update", "partial_update"):
            return CustomerDetailSerializer
        return CustomerSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = serializer.save()
        customer = self.get_queryset().model.objects.select_related("owner", "unit").get(pk=customer.pk)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.delete_customer(instance, actor=self.request.user)


@extend_schema_view(
    list=extend_schema(parameters=[REVEAL_PARAM], summary="Contacts of customers in your data scope"),
    retrieve=extend_schema(parameters=[REVEAL_PARAM]),
)
class ContactViewSet(DomainErrorMixin, ScopedModelViewSet):
    """Contacts (F-CUS-2); personal fields masked unless revealed (F-ORG-5)."""

    queryset = Contact.objects.select_related("customer", "department").order_by("customer_id", "-is_primary", "name", "id")
    serializer_class = ContactSerializer
    filterset_class = ContactApiFilter
    pagination_class = NoCountPagination

    def _reveal(self) -> bool:
        return self.request.method == "GET" and _flag(self.request, "reveal") and can_see_personal(self.request.user)

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["reveal"] = self._reveal() if getattr(self, "request", None) is not None else False
        return ctx

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and request.method == "GET" and self._reveal():
            rows = response.data.get("results", [response.data]) if isinstance(response.data, dict) else []
            fields = personal_fields()
            shown = [r["id"] for r in rows if isinstance(r, dict) and any(r.get(f) for f in fields)]
            if shown:
                audit.record(
                    "personal_data.viewed",
                    actor=request.user,
                    data={"contacts": shown, "fields": list(fields), "via": "api"},
                )
        return response

    def perform_destroy(self, instance):
        services.remove_contact(instance, actor=self.request.user)


def register(router):
    """Adds the customer archive viewsets to the API router."""
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("contacts", ContactViewSet, basename="contact")
