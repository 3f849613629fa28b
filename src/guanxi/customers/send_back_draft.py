"""The note of a refused send-back 退回 (F-CUS-4), kept in the session for the form shown after
the redirect: the archivist's text is not lost to an error message. Used by the queue's view and
by the customer page's filing panel (a template tag), hence a module of its own."""

from __future__ import annotations

from . import filing

SESSION_KEY = "filing_send_back_draft"


def keep(request, pk: int, note: str) -> None:
    if note.strip():
        request.session[SESSION_KEY] = {"pk": pk, "note": note[: filing.NOTE_MAX_LENGTH * 2]}


def pop(request, pk: int | None = None) -> dict | None:
    """The kept note (once; only for customer `pk` when given)."""
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return None
    draft = session.get(SESSION_KEY)
    if pk is not None and (not isinstance(draft, dict) or draft.get("pk") != pk):
        return None
    session.pop(SESSION_KEY, None)
    return draft if isinstance(draft, dict) else None
