"""The checks and renditions that logos, covers and scenario images share."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image

from alliance.kernel.images import make_rendition, validate_logo, validate_picture


def encoded(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return ContentFile(buffer.getvalue(), name=f"upload.{image_format.lower()}")


def opened(rendition):
    image = Image.open(io.BytesIO(rendition.read()))
    image.load()
    return image


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((1600, 900), (480, 960), (480, 270)),
        ((600, 1200), (480, 960), (480, 960)),
        ((400, 3000), (480, 960), (128, 960)),
        ((300, 200), (960, 1920), (300, 200)),
        ((100, 400), 160, (40, 160)),
    ],
)
def test_a_rendition_fits_its_box_and_is_never_enlarged(size, box, expected):
    rendition = make_rendition(encoded(Image.new("RGB", size), "PNG"), box)
    image = opened(rendition)
    assert (image.format, image.size) == ("WEBP", expected)


def test_a_photo_is_turned_upright_as_the_camera_recorded_it():
    photo = Image.new("RGB", (1200, 800), "#0b3a6f")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    rendition = make_rendition(encoded(photo, "JPEG", exif=exif), (480, 960))
    assert opened(rendition).size == (480, 720)


def test_transparency_is_kept_and_a_print_jpeg_comes_out_in_rgb():
    logo = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    assert opened(make_rendition(encoded(logo, "PNG"), 160)).mode == "RGBA"
    cmyk = Image.new("CMYK", (400, 300), (0, 60, 90, 10))
    assert opened(make_rendition(encoded(cmyk, "JPEG"), (480, 960))).mode == "RGB"


@pytest.mark.parametrize(
    ("validator", "size", "accepted"),
    [
        (validate_logo, (32, 32), True),
        (validate_logo, (31, 200), False),
        (validate_picture, (6000, 4000), True),
        (validate_picture, (199, 400), False),
        (validate_picture, (6001, 4000), False),
    ],
)
def test_pixel_limits(validator, size, accepted):
    upload = encoded(Image.new("L", size), "PNG")
    if accepted:
        validator(upload)
    else:
        with pytest.raises(ValidationError, match="pixels on each side"):
            validator(upload)


def test_a_format_outside_the_list_is_refused_by_its_content_not_its_name():
    upload = encoded(Image.new("RGB", (300, 300)), "BMP")
    upload.name = "innocent.png"
    with pytest.raises(ValidationError, match="BMP format are not accepted"):
        validate_picture(upload)
