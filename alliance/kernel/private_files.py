"""Files that are never served: uploads kept for the site's own work.

A member import's spreadsheet holds private contacts; it waits here for
the worker that imports it, not in the media folder, which the web server
and the bucket serve to anyone. On disk it is PRIVATE_ROOT, outside
MEDIA_ROOT (a web process and the worker must share it: one machine, or a
shared folder); with a bucket it is PRIVATE_STORAGE_BUCKET_NAME (or the
media bucket under `private/`), written private and read with signed
addresses (settings.py).
"""

import contextlib

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.functional import cached_property
from PIL import Image


class PrivateFileSystemStorage(FileSystemStorage):
    """A folder of files with no web address, at PRIVATE_ROOT unless told otherwise."""

    def __init__(self, location=None, **kwargs):
        super().__init__(location=location, base_url=None, **kwargs)

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("Private files have no web address.")


def private_storage():
    """The storage of private files (STORAGES["private"]), for a FileField's `storage`."""
    return storages["private"]


@contextlib.contextmanager
def deleted_unless_committed(field_file):
    """Run the block in a transaction; if it does not commit, delete the file just saved.

    A file is written to storage before the row that names it: if the
    row's transaction then fails or rolls back, nothing points at the file,
    and a private file (contacts) must not stay behind. Django runs code
    after a commit but none after a rollback, so the block is the outermost
    transaction (durable): leaving it is the commit, or the rollback.
    """
    try:
        with transaction.atomic(durable=True):
            yield
    except BaseException:
        field_file.delete(save=False)
        raise


def image_response(field_file):
    """A private image, for a view that has checked who may see it.

    Sent as the kind of image its content says (whatever its name says),
    never sniffed, never stored by a cache, and inert if opened on its own.
    Raises Http404 when there is no file.
    """
    if not field_file:
        raise Http404("There is no such image.")
    try:
        upload = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("The image's file is missing.") from None
    try:
        with Image.open(upload) as image:
            kind = Image.MIME.get(image.format or "")
    except (OSError, Image.DecompressionBombError):
        kind = None
    upload.seek(0)
    response = FileResponse(upload, content_type=kind or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
