"""Files posted with an order update: photos through directory.photos.prepare (shrunk, upright,
location and other metadata dropped), documents through core.uploads' one check."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from corridor.core import uploads


def prepare_photo(upload: UploadedFile) -> ContentFile:
    from corridor.directory.photos import prepare

    return prepare(upload)


def prepare_document(upload: UploadedFile) -> tuple[UploadedFile, str]:
    """(file to store, under a random name; the name to show). PDF, JPEG or PNG within the size
    limit, checked by content (ValidationError otherwise)."""
    shown = (upload.name or "")[:200]
    uploads.validate_document(upload)  # renames the upload to a random name with its real type
    return upload, shown
