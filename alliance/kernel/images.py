"""Uploaded images: checks and renditions.

Member logos, article covers and scenario images share them. An upload is
accepted only if its content decodes as a raster image in an allowed format,
within a file size and pixel limit (SVG is refused: it can carry scripts).
Public pages and the API never show the upload itself: they use WebP
renditions, made by a background task when the upload changes (until it
has run, the previous renditions or no image), whose sizes are kept in
the database so that pages never open image files.
"""

import dataclasses
import functools
import io
from pathlib import PurePosixPath

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from alliance.kernel import record_keys
from alliance.kernel.changes import content_changed
from alliance.kernel.tasks import enqueue_on_commit, task

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


@dataclasses.dataclass(frozen=True)
class ImageLimits:
    max_megabytes: int
    min_pixels: int
    max_pixels: int


LOGO_LIMITS = ImageLimits(max_megabytes=2, min_pixels=32, max_pixels=4000)
# Photographs and illustrations: a phone camera's picture passes as it is.
PICTURE_LIMITS = ImageLimits(max_megabytes=5, min_pixels=200, max_pixels=6000)

# Renditions: the name of the ImageField that holds each, and the box (width,
# height in pixels) it is fitted into, never enlarged.
LOGO_RENDITIONS = {"logo_small": (160, 160), "logo_large": (320, 320)}
# 480 px wide fills a card, and a phone screen at 1x; 960 px the article
# column and dense screens. A portrait picture is kept to twice its width.
COVER_RENDITIONS = {"cover_small": (480, 960), "cover_large": (960, 1920)}
SCENARIO_RENDITIONS = {"image_small": (480, 960), "image_large": (960, 1920)}


def check_image(file, limits):
    """Refuse anything but a real PNG, JPEG, WebP or GIF within `limits`.

    Only a new upload is read. A file already in storage passed this check
    when it was uploaded: a form saved without a new image hands it back
    unchanged, often with the handle Django closed after reading its size,
    and reading it again would fetch it back from object storage on every
    save.
    """
    if getattr(file, "_committed", False):
        return
    if getattr(file, "closed", False):
        # An upload whose handle was closed (after reading its dimensions)
        # but that can be opened again by name.
        file.open("rb")
    if file.size > limits.max_megabytes * 1024 * 1024:
        raise ValidationError(
            _("The image is larger than %(size)d MB; upload a smaller file.")
            % {"size": limits.max_megabytes},
            code="too_large",
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
    if max(width, height) > limits.max_pixels or min(width, height) < limits.min_pixels:
        raise ValidationError(
            _("The image must be between %(min)d and %(max)d pixels on each side.")
            % {"min": limits.min_pixels, "max": limits.max_pixels},
            code="dimensions",
        )


def validate_logo(file):
    """A member's logo: at most 2 MB, 32 to 4,000 pixels a side."""
    check_image(file, LOGO_LIMITS)


def validate_picture(file):
    """An article's cover or a scenario's image: at most 5 MB, 200 to 6,000 pixels a side."""
    check_image(file, PICTURE_LIMITS)


def rendition_field(upload_to, name):
    """A stored rendition (`<name>`), sized by its `<name>_width` and `<name>_height`."""
    return models.ImageField(
        upload_to=upload_to,
        max_length=255,
        blank=True,
        editable=False,
        width_field=f"{name}_width",
        height_field=f"{name}_height",
    )


def size_field():
    """The width or height of an image, filled in by Django on save."""
    return models.PositiveIntegerField(null=True, blank=True, editable=False)


def make_rendition(file, box):
    """A WebP copy that fits in `box` (pixels: a side, or width and height).

    Never enlarged; turned upright as the camera recorded it; transparency
    and colour profile kept.
    """
    width, height = (box, box) if isinstance(box, int) else box
    file.seek(0)
    with Image.open(file) as original:
        # A profile describes the colours of the mode it came with: keep only
        # an RGB one, which still fits after the conversion below.
        profile = (
            original.info.get("icc_profile")
            if original.mode in ("RGB", "RGBA")
            else None
        )
        # A large JPEG decodes at a fraction of its size when that is enough.
        original.draft("RGB", (max(width, height), max(width, height)))
        image = ImageOps.exif_transpose(original)
        transparent = image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if transparent else "RGB")
        image.thumbnail((width, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(
            buffer,
            format="WEBP",
            quality=82,
            method=4,
            icc_profile=profile,
        )
    file.seek(0)
    # A named file: the image field reads the new size from it when saved.
    return ContentFile(buffer.getvalue(), name=f"rendition-{width}.webp")


def render_renditions(instance, source, renditions, rendered_from):
    """Make (or clear) the renditions of `instance`'s image field `source`.

    `renditions` maps each rendition's ImageField name to its box (see
    make_rendition); `rendered_from` names the field that remembers which
    upload they were made from. The new names and sizes are written with
    one UPDATE, not a second save(), and only while the row still holds
    this upload and nobody rendered it meanwhile: otherwise the files just
    made are removed and nothing is written (the task of the newer upload
    makes its own). The previous renditions are removed once the new ones
    are committed, so a page never links to a file that is gone. Answer
    whether the renditions were written.
    """
    upload = getattr(instance, source)
    if upload:
        stem = PurePosixPath(upload.name).stem
        with upload.open("rb") as file:
            for name, box in renditions.items():
                rendition = make_rendition(file, box)
                width = box if isinstance(box, int) else box[0]
                getattr(instance, name).save(
                    f"{stem}-{width}.webp", rendition, save=False
                )
    else:
        for name in renditions:
            setattr(instance, name, None)
    setattr(instance, rendered_from, upload.name or "")
    values = {rendered_from: getattr(instance, rendered_from)}
    for name in renditions:
        field = instance._meta.get_field(name)
        values[name] = getattr(instance, name).name or ""
        for dimension in (field.width_field, field.height_field):
            if dimension:
                values[dimension] = getattr(instance, dimension)
    # The renditions this replaces, as stored (the instance may have been
    # loaded before a worker wrote them).
    model = type(instance)
    previous = model._base_manager.filter(pk=instance.pk).values(*renditions).first()
    previous = previous or {name: getattr(instance, name).name for name in renditions}
    written = (
        model._base_manager.filter(pk=instance.pk, **{source: upload.name or ""})
        .exclude(**{rendered_from: upload.name or ""})
        .update(**values)
    )
    storage = {name: getattr(instance, name).storage for name in renditions}
    if written:
        gone = [(storage[name], old) for name, old in previous.items() if old]
    else:
        gone = [(storage[name], values[name]) for name in renditions if values[name]]
        for name, old in previous.items():
            setattr(instance, name, old)
    transaction.on_commit(functools.partial(_remove_files, gone))
    return bool(written)


def _remove_files(files):
    for storage, name in files:
        storage.delete(name)


def beside_renditions(instance, kwargs):
    """The keyword arguments of `instance.save()`, leaving its renditions' columns alone.

    Only the rendition task writes them (render_renditions). An object
    loaded before the worker wrote them and saved afterwards would
    otherwise write them back as it loaded them: empty, or the previous
    upload's, whose files are gone. A new row, or a save that names its
    fields, is saved as asked.
    """
    if instance._state.adding or kwargs.get("update_fields") is not None:
        return kwargs
    if kwargs.get("force_insert"):
        return kwargs
    left = set()
    for renditions, rendered_from in type(instance).image_renditions.values():
        left.add(rendered_from)
        for name in renditions:
            field = instance._meta.get_field(name)
            left.update({name, field.width_field, field.height_field} - {None})
    deferred = instance.get_deferred_fields()
    kwargs["update_fields"] = [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key
        and field.name not in left
        and field.attname not in deferred
    ]
    return kwargs


def renditions_follow(instance, source):
    """After a save: have the renditions follow the image field `source`.

    A new upload is rendered by a task once the save commits (a worker
    makes the WebP copies; the request does not wait for them). Until then
    pages show the previous renditions, or no image at all, never the
    upload. A removed upload takes its renditions with it at once. The
    model names its renditions in `image_renditions` (see render_image).
    """
    renditions, rendered_from = type(instance).image_renditions[source]
    upload = getattr(instance, source)
    if (upload.name or "") == getattr(instance, rendered_from):
        return
    if not upload:
        render_renditions(instance, source, renditions, rendered_from)
        return
    enqueue_on_commit(
        render_image, label=instance._meta.label_lower, pk=instance.pk, source=source
    )


# Idempotent (below): a run lost with its worker is run again, twice at
# most, so that a picture that runs every worker out of memory stops there.
@task(retry_lost=2)
def render_image(*, label, pk, source):
    """Make the renditions of the upload in `source` of row `pk` of model `label`.

    Idempotent: a row whose renditions are of its current upload, or that
    is gone, is left alone; a row whose upload changed while this ran keeps
    what the newer upload's task makes. Once written, the public pages and
    API answers are stale like after any change (the generation moves and
    the caching proxy purges; `updated_at` moves, so mirrors syncing by
    `updated_since` fetch the new image addresses), but no webhook event
    is sent: the save of the upload announced the change already, and
    the renditions only follow it. Answer whether renditions were written.
    """
    model = apps.get_model(label)
    renditions, rendered_from = model.image_renditions[source]
    instance = model._base_manager.filter(pk=pk).first()
    if instance is None:
        return False
    upload = getattr(instance, source)
    if not upload or upload.name == getattr(instance, rendered_from):
        return False
    with transaction.atomic():
        written = render_renditions(instance, source, renditions, rendered_from)
        if written:
            if any(field.name == "updated_at" for field in model._meta.concrete_fields):
                model._base_manager.filter(pk=pk).update(updated_at=timezone.now())
            # The answers that show this record (pages that nest it carry
            # its key too) and the lists ordered by change time.
            content_changed(
                model,
                records=[(model, pk)],
                keys=record_keys.record_keys(model, pk, columns=["updated_at"]),
            )
    return written


def srcset(*renditions):
    """A `srcset` value from (image file, width) pairs, each width once."""
    seen, parts = set(), []
    for image, width in renditions:
        if image and width and width not in seen:
            seen.add(width)
            parts.append(f"{image.url} {width}w")
    return ", ".join(parts)
