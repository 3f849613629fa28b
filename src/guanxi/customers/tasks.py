"""Celery tasks of the customer archive (autodiscovered): one module per feature."""

from .tasks_duplicates import *  # noqa: F403
from .tasks_filing import *  # noqa: F403
from .tasks_imports import *  # noqa: F403
from .tasks_privacy import *  # noqa: F403
