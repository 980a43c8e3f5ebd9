"""Safe upload and download of documents (certificates today; training materials and order
documents reuse it). Product photos are not documents: see `corridor.directory.photos`.

Upload
- `validate_document(upload)` accepts PDF, JPEG and PNG only, recognised by their content (the
  first bytes; images are also checked by Pillow), never by the name or the browser's type, and
  at most `settings.DOCUMENT_MAX_BYTES`. HTML, SVG, executables... are refused with a message.
- `DocumentFormField` is the form field that runs it; `upload_to(folder)` stores each file
  under a random name with the extension of its real type.
- Files go to `private_storage` (settings.PRIVATE_MEDIA_ROOT), outside MEDIA_ROOT: no address
  serves them directly.

Download
- An app registers its model field once: `register(Model, "field", can_download=fn)`, where
  `fn(user, obj) -> bool` is the app's permission rule. The storage's URL of a file is then the
  one download view (`/files/<name>`), which finds the record holding the file, checks the
  permission (403 for a signed-in user without the right, login for a visitor) and answers with
  `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` and a CSP that runs
  nothing. In production (`CORRIDOR_ACCEL_REDIRECT_PREFIX` set) it hands the file to the web
  server with `X-Accel-Redirect`; in development it streams the file itself.
"""

from __future__ import annotations

import mimetypes
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.core.seclog import security_event

# Allowed document types: content type -> (magic bytes at offset 0, extension).
DOCUMENT_TYPES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "pdf"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
}
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_DOCUMENT_PIXELS = 40_000_000


# --- Storage -----------------------------------------------------------------------------------


@deconstructible(path="corridor.core.uploads.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under settings.PRIVATE_MEDIA_ROOT (read when used, so tests can move it), whose
    URL is the permission-checking download view."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        return reverse("private_file", kwargs={"name": name or ""})


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """The storage for FileField(storage=...): a callable, so migrations name it, not a path."""
    return private_storage


def upload_to(folder: str) -> Callable[[Any, str], str]:
    """FileField(upload_to=...): `<folder>/<year>/<random>.<real extension>`."""
    return _UploadTo(folder)


@deconstructible(path="corridor.core.uploads._UploadTo")
class _UploadTo:
    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance: Any, filename: str) -> str:
        from django.utils import timezone

        ext = os.path.splitext(filename)[1].lower().lstrip(".")
        known = {e for _m, (_b, e) in DOCUMENT_TYPES.items()}
        ext = ext if ext in known else "bin"
        return f"{self.folder}/{timezone.now():%Y}/{uuid.uuid4().hex}.{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _UploadTo) and other.folder == self.folder


# --- Validation --------------------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """The allowed content type whose signature `head` starts with, or None."""
    for content_type, (magic, _ext) in DOCUMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def validate_document(upload) -> str:
    """Refuse (ValidationError) anything but a PDF, JPEG or PNG within the size limit; returns
    the content type found. Renames the upload to carry the real type's extension."""
    limit = settings.DOCUMENT_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s MB): at most %(max)d MB.")
            % {"size": f"{size / 2**20:.1f}", "max": limit // 2**20},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG documents are accepted."), code="type_not_allowed"
        )
    if content_type in _PIL_FORMATS:
        _verify_image(upload, _PIL_FORMATS[content_type])
    ext = DOCUMENT_TYPES[content_type][1]
    upload.name = f"{uuid.uuid4().hex}.{ext}"
    upload.content_type = content_type
    return content_type


def _verify_image(upload, expected: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(upload) as image:
            if image.format != expected or image.width * image.height > MAX_DOCUMENT_PIXELS:
                raise ValidationError(_("This image cannot be accepted."), code="bad_image")
            image.verify()  # structure and checksums, without decoding the pixels
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as e:
        raise ValidationError(_("This image file is damaged."), code="bad_image") from e
    finally:
        upload.seek(0)


class DocumentFormField(forms.FileField):
    """A form field for a document: PDF, JPEG or PNG by content, within the size limit."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text", gettext_lazy("PDF, JPEG or PNG, at most %(mb)d MB.") % {"mb": 10}
        )
        kwargs.setdefault(
            "widget", forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value and hasattr(value, "read") and value is not initial:
            validate_document(value)
        return value


# --- Download ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Registered:
    model: type[Model]
    field: str
    can_download: Callable[[Any, Any], bool]


_REGISTRY: list[_Registered] = []


def register(model: type[Model], field: str, *, can_download: Callable[[Any, Any], bool]) -> None:
    """Serve `model.field`'s files through the download view to users `can_download` allows."""
    if not any(r.model is model and r.field == field for r in _REGISTRY):
        _REGISTRY.append(_Registered(model, field, can_download))


def _owner(name: str) -> tuple[_Registered, Model] | None:
    for entry in _REGISTRY:
        obj = entry.model._default_manager.filter(**{entry.field: name}).first()
        if obj is not None:
            return entry, obj
    return None


def file_response(name: str, *, download_name: str = "") -> HttpResponse:
    """The answer carrying a private file (attachment, never run by the browser)."""
    if not private_storage.exists(name):
        raise Http404
    with private_storage.open(name, "rb") as f:
        content_type = sniff(f.read(16)) or "application/octet-stream"
    download_name = download_name or os.path.basename(name)
    prefix = getattr(settings, "CORRIDOR_ACCEL_REDIRECT_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        response = FileResponse(private_storage.open(name, "rb"), content_type=content_type)
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", download_name).strip("-") or "document"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def private_file(request: HttpRequest, name: str) -> HttpResponse:
    """The one download view of private files: permission first, then the file."""
    found = _owner(name)
    if found is None:
        raise Http404
    entry, obj = found
    if not entry.can_download(request.user, obj):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        security_event("permission_denied", request, file=name)
        raise Http404  # as if it did not exist: a file name says nothing to who may not see it
    ext = os.path.splitext(name)[1] or (mimetypes.guess_extension("application/pdf") or "")
    label = str(obj)[:60].strip() or "document"
    return file_response(name, download_name=f"{label}{ext}")
