"""The one place training files (module materials, milestone evidence) meet the safe upload
helper `corridor.core.uploads`: checked by content (PDF, JPEG or PNG, size limit), stored
under a random name in private storage, downloaded only through permission-checking views."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile


def private_storage() -> FileSystemStorage:
    from corridor.core import uploads

    return uploads.get_private_storage()


def prepare_document(upload: UploadedFile) -> tuple[UploadedFile, str]:
    """(the checked upload, renamed to a random name of its real type; the name to show).
    Raises ValidationError with a message for the person who sent it."""
    from corridor.core import uploads

    shown = (upload.name or "")[:200]
    uploads.validate_document(upload)
    return upload, shown
