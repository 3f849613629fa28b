import time
import uuid

from . import cache_versions, context
from .ahead import SQL_TIMER


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
            cache_versions.clear_read_along()
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.set_actor(user.pk)


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>, db;dur=<ms>;desc="<n> queries"` to every response: the
    time spent in the application (everything below this middleware) and in SQL. Put it first in
    MIDDLEWARE; `python -m bench.run` measures with it. Harmless in production (the browser's
    network panel shows it), but it tells a client how long a page took to build."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.db import connection

        sql = {"n": 0, "t": 0.0}

        def timed(execute, sql_text, params, many, ctx):
            start = time.perf_counter()
            try:
                return execute(sql_text, params, many, ctx)
            finally:
                sql["n"] += 1
                sql["t"] += time.perf_counter() - start

        start = time.perf_counter()
        token = SQL_TIMER.set(sql)  # a statement sent ahead adds its wait when read
        try:
            with connection.execute_wrapper(timed):
                response = self.get_response(request)
        finally:
            SQL_TIMER.reset(token)
        app_ms = (time.perf_counter() - start) * 1000
        response["Server-Timing"] = f'app;dur={app_ms:.2f}, db;dur={sql["t"] * 1000:.2f};desc="{sql["n"]} queries"'
        return response
