"""Logo checks and renditions.

A logo is accepted only if its content decodes as a raster image in an
allowed format, within a file size and pixel limit (SVG is refused: it can
carry scripts). Public pages never show the upload itself: they use small
WebP renditions made when the logo changes.
"""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4000
MIN_PIXELS = 32
ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
RENDITION_SIZES = {"small": 160, "large": 320}


def validate_logo(file):
    """Refuse anything but a real PNG, JPEG, WebP or GIF of sensible size."""
    if file.size > MAX_BYTES:
        raise ValidationError(
            _("The logo is larger than 2 MB; upload a smaller file."), code="too_large"
        )
    file.seek(0)
    try:
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as error:
        raise ValidationError(
            _("This file is not an image we can use: upload a PNG, JPEG, WebP or GIF."),
            code="not_an_image",
        ) from error
    finally:
        file.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _(
                "Images in %(format)s format are not accepted: upload a PNG, JPEG, WebP or GIF."
            )
            % {"format": image_format},
            code="format",
        )
    if max(width, height) > MAX_PIXELS or min(width, height) < MIN_PIXELS:
        raise ValidationError(
            _("The logo must be between %(min)d and %(max)d pixels on each side.")
            % {"min": MIN_PIXELS, "max": MAX_PIXELS},
            code="dimensions",
        )


def make_rendition(file, box):
    """A WebP copy that fits in a box of `box` pixels, transparency kept."""
    file.seek(0)
    with Image.open(file) as image:
        image = image.convert("RGBA")
        image.thumbnail((box, box), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=85, method=4)
    file.seek(0)
    return ContentFile(buffer.getvalue())
