"""Checks on uploaded admission documents. Nothing from the upload is trusted: the size is
measured, and the type comes from the file's first bytes (not its name or the browser's
Content-Type). Accepted: PDF, JPEG, PNG, WebP — scans and photos of certificates."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import DomainError

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/jpeg,image/png,image/webp"
ACCEPTED_HELP = gettext_lazy("PDF, JPEG, PNG or WebP, at most 10 MB.")


class DocumentRejected(DomainError):
    def __init__(self, message, **kwargs):
        kwargs.setdefault("field", "file")
        kwargs.setdefault("code", "file_rejected")
        super().__init__(message, **kwargs)


def _size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is not None:
        return int(size)
    pos = upload.tell()
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(pos)
    return size


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None when it is not accepted."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_document(upload) -> str:
    """Returns the content type of an acceptable upload; raises DocumentRejected otherwise."""
    if upload is None:
        raise DocumentRejected(_("Choose a file to upload."))
    size = _size(upload)
    if size == 0:
        raise DocumentRejected(_("The file is empty."))
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentRejected(
            _("The file is %(size).1f MB; at most %(limit)d MB can be uploaded.")
            % {"size": size / 1024 / 1024, "limit": MAX_DOCUMENT_BYTES // 1024 // 1024}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        if head[:2] == b"MZ" or head[:4] == b"\x7fELF":
            raise DocumentRejected(_("This file is a program, not a document. Upload a PDF or an image."))
        raise DocumentRejected(_("Only PDF files and JPEG, PNG or WebP images can be uploaded."))
    return content_type
