"""API base: a viewset that cannot skip the data scope, and the error mapping
(domain errors → 4xx with a JSON body, never a 500)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError
from .querysets import permission_code

ACTION_MAP = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc), "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "Permission denied."}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


class ScopedPermission(permissions.BasePermission):
    """The role must grant the action on the model; which rows, restrict() decides."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        action = view.scope_action()
        return action is None or request.user.has_perm(permission_code(view.queryset.model, action))


class ScopedModelViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.IsAuthenticated, ScopedPermission]

    def scope_action(self) -> str | None:
        return ACTION_MAP.get(self.action, getattr(self, "extra_scope_actions", {}).get(self.action, "view"))

    def get_queryset(self):
        action = self.scope_action() or "view"
        return self.queryset.all().restrict(self.request.user, action)

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["user"] = self.request.user
        return ctx


class ScopedReadOnlyViewSet(ScopedModelViewSet):
    http_method_names = ["get", "head", "options"]
