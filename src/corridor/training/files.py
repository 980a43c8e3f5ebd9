"""The one place training files (module materials, milestone evidence) are checked and stored.

Documents go through the safe upload check (PDF, JPEG or PNG by content, size limit; the
reporting app's `prepare_document`, which defers to corridor.core.uploads once it lands) and
live in private storage (PRIVATE_MEDIA_ROOT, never under MEDIA_ROOT), served only by a
permission-checking view. Swap both for corridor.core.uploads when it lands on main."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile


class PrivateStorage(FileSystemStorage):
    """Files outside MEDIA_ROOT with no public URL; the location is read on each use so that
    tests (and deployments) can move it."""

    @property
    def base_location(self):  # type: ignore[override]
        return getattr(settings, "PRIVATE_MEDIA_ROOT", None) or settings.DATA_DIR / "private"

    @property
    def location(self):  # type: ignore[override]
        return str(self.base_location)


def private_storage() -> FileSystemStorage:
    return PrivateStorage()


def prepare_document(upload: UploadedFile) -> tuple[ContentFile, str]:
    """(file to store under a random name, the name to show); ValidationError if refused."""
    # Only the checking function: importing the timeline's models would register them even
    # while their app is not installed.
    from corridor.reporting.timeline.files import prepare_document as prepare

    return prepare(upload)
