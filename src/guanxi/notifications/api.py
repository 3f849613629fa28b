"""Own notifications over the API: list (optionally only unread), mark one or all read. Not a
scoped model: every user reads exactly their own, whatever their roles."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


MarkedSerializer = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()})


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's notifications, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Notification.objects.none()

    def get_queryset(self):
        qs = Notification.objects.for_user(self.request.user).order_by("-created_at", "-id")
        unread = self.request.query_params.get("unread", "").lower()
        if unread in ("1", "true", "yes"):
            qs = qs.unread()
        elif unread in ("0", "false", "no"):
            qs = qs.filter(read_at__isnull=False)
        return qs

    @extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread (true) or only read (false).")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        marked = services.mark_read(request.user, [notification.pk])
        return Response({"marked": marked, "unread": services.unread_count(request.user)})

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = services.mark_read(request.user)
        return Response({"marked": marked, "unread": services.unread_count(request.user)})


def register(router) -> None:
    """Adds this app's API viewsets to the project router."""
    router.register("notifications", NotificationViewSet, basename="notification")
