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
# Refuse larger images before decoding them (decompression bombs). A 48-megapixel phone photo
# passes; the 7,700 x 7,700 PNG (59 Mpx) that took 700 MB to shrink does not.
MAX_PIXELS = 40_000_000
# The most memory the decoded image and its one converted copy may take. Pillow holds 4 bytes a
# pixel (RGB is padded); a JPEG is decoded at 1/2, 1/4 or 1/8 of its size when that still
# exceeds MAX_SIDE (Image.draft), so phone photos fit whatever their size; a PNG or WebP
# (decoded in full) fits up to about 20 Mpx.
MEMORY_BUDGET = 160 * 1024 * 1024
_BYTES_PER_PIXEL = 4


def decoded_bytes(width: int, height: int) -> int:
    """Memory needed to decode an image of this size and hold one converted copy."""
    return 2 * width * height * _BYTES_PER_PIXEL


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
            if image.format == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at a reduced scale
            if decoded_bytes(image.width, image.height) > MEMORY_BUDGET:
                raise ValidationError(
                    _("The photo has too many pixels: please send a smaller picture or a JPEG.")
                )
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=82, optimize=True)  # no exif= : metadata dropped
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise ValidationError(_("This file is not a photo we can read (JPEG, PNG or WebP).")) from e
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
