"""The one place order documents are checked (core.uploads once it lands; photos go through
directory.photos.prepare: shrunk, upright, location and other metadata dropped)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# What a file starts with, by type: the name and the browser's content type prove nothing.
SIGNATURES = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def prepare_photo(upload: UploadedFile) -> ContentFile:
    from corridor.directory.photos import prepare

    return prepare(upload)


def prepare_document(upload: UploadedFile) -> tuple[ContentFile, str]:
    """(file to store under a random name, the name to show). PDF, JPEG or PNG, at most 10 MB."""
    try:
        from corridor.core import uploads  # type: ignore[attr-defined]
    except ImportError:
        uploads = None
    if uploads is not None and hasattr(uploads, "prepare"):
        return uploads.prepare(upload), upload.name[:200]
    import uuid

    if upload.size and upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("The document is too large: at most 10 MB."))
    upload.seek(0)
    head = upload.read(16)
    ext = next((e for sig, e in SIGNATURES.items() if head.startswith(sig)), None)
    if ext is None:
        raise ValidationError(_("Send a PDF, JPEG or PNG document."))
    upload.seek(0)
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("The document is too large: at most 10 MB."))
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}"), (upload.name or "")[:200]
