import uuid

from . import context


def client_ip(request) -> str | None:
    # Behind nginx the real address arrives in X-Real-IP (see docs/DEPLOY.md); never trust
    # X-Forwarded-For blindly.
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Opens the acting context for each request; the actor is filled in once auth ran."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        source = "api" if request.path.startswith("/api/") else "web"
        context.begin_request(ip=client_ip(request), request_id=request_id[:64], source=source)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            context.end()
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.set_actor(user.pk)
