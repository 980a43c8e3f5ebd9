"""The one place training files (module materials, milestone evidence) are checked and stored.

Documents go through the safe upload check (PDF, JPEG or PNG by content, size limit; the
reporting app's `prepare_document`, which defers to corridor.core.uploads once it lands) and
live in private storage, served only by a permission-checking view."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile


def private_storage():
    from corridor.reporting.timeline.models import private_storage as storage

    return storage()


def prepare_document(upload: UploadedFile) -> tuple[ContentFile, str]:
    """(file to store under a random name, the name to show); ValidationError if refused."""
    from corridor.reporting.timeline.files import prepare_document as prepare

    return prepare(upload)
