"""Product photos: checked, shrunk and stripped of their metadata before they are stored.

SME owners upload straight from a phone: 4-12 MB pictures that a buyer on a slow link should
not have to download, carrying EXIF data that may include where the photo was taken.
"""

from __future__ import annotations

import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 6  # per product
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
MAX_SIDE = 1600  # pixels, after shrinking
MAX_PIXELS = 60_000_000  # refuse larger images before decoding them (decompression bombs)


def prepare(upload: UploadedFile) -> ContentFile:
    """A JPEG of the upload at most MAX_SIDE pixels wide and high, upright, without metadata.

    Raises ValidationError with a message for the user when the file is not a usable image."""
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The photo is too large (%(size)d MB): at most %(max)d MB.")
            % {"size": upload.size // 2**20, "max": MAX_UPLOAD_BYTES // 2**20}
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(_("The photo has too many pixels."))
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)  # no exif= : metadata dropped
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise ValidationError(_("This file is not a photo we can read (JPEG, PNG or WebP).")) from e
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
