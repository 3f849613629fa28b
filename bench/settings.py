"""Settings for the benchmark: the application's own, with ServerTimingMiddleware first so every
response reports the server time (`Server-Timing: app;dur=…, db;dur=…`)."""

from guanxi.settings import *  # noqa: F403
from guanxi.settings import ALLOWED_HOSTS, MIDDLEWARE

MIDDLEWARE = ["guanxi.core.middleware.ServerTimingMiddleware", *MIDDLEWARE]
ROOT_URLCONF = "bench.urls"  # adds the empty signed-in page of the "floor" scenario
# Django's test Client sends Host: testserver.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
DEBUG = False

# Redis serves the cache and the sessions as in production, but background jobs (the import)
# run in this process so the benchmark times and measures them directly.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
