"""Tests about the tests and the models:

- every scoped model (core.querysets.SCOPED_MODELS) has a test class built from the shared scope
  mixins (tests/support/scoped.py), collected by pytest and declaring something to test;
- every concrete model of the guanxi apps keeps field history (`history = field_history()`),
  except the few listed below with their reason.
"""

import importlib
from pathlib import Path

from django.apps import apps

from guanxi.core.models import HistoryContext
from guanxi.core.querysets import SCOPED_MODELS
from tests.support.scoped import ScopeMatrix, scope_test_classes

TESTS = Path(__file__).resolve().parent

# label_lower -> why the model has no field history
WITHOUT_HISTORY = {
    "core.auditevent": "it is the append-only audit log itself",
    "accounts.usersession": "session bookkeeping: rows come and go with logins, nothing to audit",
    "notifications.notification": "a personal message, not a business record; only its read time changes",
    "grading.levelcount": "a tally that database triggers keep from the grade rows, which keep their own history",
}


def import_test_modules() -> None:
    """Imports every module under tests/ (conftest files are pytest's own)."""
    for path in sorted(TESTS.rglob("*.py")):
        rel = path.relative_to(TESTS.parent).with_suffix("")
        if path.name == "conftest.py" or "__pycache__" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        importlib.import_module(".".join(parts))


def test_every_scoped_model_has_scope_tests():
    import_test_modules()
    covered = {cls.model for cls in scope_test_classes()}
    missing = sorted(m._meta.label for m in SCOPED_MODELS if m not in covered)
    assert not missing, (
        f"scoped models without a scope test class: {', '.join(missing)}. Add a class deriving from "
        "tests.support.scoped.ScopedObjectTests that declares `model`, its URL names and data (see that module)."
    )


def test_scope_test_classes_are_collected_and_declare_something():
    import_test_modules()
    problems = []
    for cls in scope_test_classes():
        name = f"{cls.__module__}.{cls.__qualname__}"
        if not cls.__name__.startswith("Test") or "." in cls.__qualname__:
            problems.append(f"{name}: pytest collects only module-level classes named Test*")
        if not cls.__module__.split(".")[-1].startswith("test_"):
            problems.append(f"{name}: must live in a test_*.py module")
        declared = [
            a for a in ("list_url", "detail_url", "create_url", "edit_url", "delete_url", "export_url", "api_basename") if getattr(cls, a)
        ]
        if not declared:
            problems.append(f"{name}: declares no URL and no API basename, so it tests nothing")
        if not any(callable(getattr(cls, n)) for n in dir(cls) if n.startswith("test_")):
            problems.append(f"{name}: no test left")
    assert not problems, "\n".join(problems)


def test_scope_matrix_base_is_not_collected():
    assert not ScopeMatrix.__name__.startswith("Test")


def _is_historical(model) -> bool:
    return hasattr(model, "history_type") and hasattr(model, "instance_type")


def test_every_model_keeps_field_history():
    missing = []
    for model in apps.get_models():
        if not model.__module__.startswith("guanxi.") or model._meta.proxy or _is_historical(model):
            continue
        label = model._meta.label_lower
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager is None:
            if label not in WITHOUT_HISTORY:
                missing.append(f"{label}: add `history = field_history()` (guanxi.core.models)")
            continue
        historical = getattr(model, manager).model
        if not issubclass(historical, HistoryContext):
            missing.append(f"{label}: use field_history(), not HistoricalRecords() (the source/task columns are missing)")
    assert not missing, "\n".join(missing)


def test_history_allow_list_is_current():
    labels = {m._meta.label_lower for m in apps.get_models()}
    stale = sorted(set(WITHOUT_HISTORY) - labels)
    assert not stale, f"WITHOUT_HISTORY names models that no longer exist: {stale}"
    needless = sorted(label for label in WITHOUT_HISTORY if getattr(apps.get_model(label)._meta, "simple_history_manager_attribute", None))
    assert not needless, f"these models keep history after all; drop them from WITHOUT_HISTORY: {needless}"


def test_every_audited_event_has_a_name_in_words():
    """The audit log shows events by name, in the user's language: every code a module records
    (`audit.record("…")`) is registered with a label (core.events.register)."""
    import re

    from guanxi.core import events

    src = TESTS.parent / "src" / "guanxi"
    codes = set()
    for path in src.rglob("*.py"):
        codes.update(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(codes) > 50  # the pattern still finds the calls
    unnamed = sorted(code for code in codes if events.label(code) == code)
    assert not unnamed, f"audit events without a label: {unnamed}"
