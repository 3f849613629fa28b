from types import SimpleNamespace


def current():
    return SimpleNamespace(security=SimpleNamespace(idle_timeout_minutes=30, absolute_timeout_hours=12))
