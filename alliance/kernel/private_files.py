"""Files that are never served: uploads kept for the site's own work.

A member import's spreadsheet holds private contacts; it waits here for
the worker that imports it, not in the media folder, which the web server
and the bucket serve to anyone. On disk it is PRIVATE_ROOT, outside
MEDIA_ROOT (a web process and the worker must share it: one machine, or a
shared folder); with a bucket it is PRIVATE_STORAGE_BUCKET_NAME (or the
media bucket under `private/`), written private and read with signed
addresses (settings.py).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property


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
