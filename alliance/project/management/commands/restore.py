"""Restore a folder written by `backup` into the configured database and media storage.

The media are written back through the configured storage, so a backup
taken on local disk restores into a bucket and the other way round. The
storage then holds exactly the backup's files: they are written first,
and only then are files that the backup does not have deleted.

The restored content is then announced as new, because it is new to
everyone who saw the site since the backup: its change times move to now
(so partners' mirrors syncing with `updated_since` fetch it again), what
was public before the restore and is not in the backup gets a tombstone (so
mirrors drop it), the change time of the public content moves on (no cached
answer from before the restore is served again) and the caches are emptied.
"""

import json
import posixpath
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from alliance.kernel.changes import content_changed
from alliance.kernel.publishing import Publishable
from alliance.kernel.tombstones import bury
from alliance.project.management.commands.backup import (
    describe,
    pg_environment,
    stored_files,
)


def media_files(archive):
    """Yield (storage name, entry) of each file in a media archive.

    Folders come with their files; links and devices are never written. A
    name that would leave the media (absolute, or through "..") is refused.
    """
    for entry in archive:
        if not entry.isfile():
            continue
        name = posixpath.normpath(entry.name)
        if not name.startswith("media/"):
            raise CommandError(f"media.tar.gz holds {entry.name!r}, outside media/.")
        yield name.removeprefix("media/"), entry


def public_models():
    return [model for model in apps.get_models() if issubclass(model, Publishable)]


def public_slugs():
    """{model: slugs of its published objects}, for every public model.

    Empty for a database that has no tables yet (a restore into a new one).
    """
    slugs = {}
    for model in public_models():
        try:
            slugs[model] = set(model.objects.published().values_list("slug", flat=True))
        except DatabaseError:
            slugs[model] = set()
    return slugs


@transaction.atomic
def announce_restored(public_before):
    """Make the restored content look new to every cache and mirror; return the tombstones added."""
    now = timezone.now()
    buried = 0
    for model, before in public_before.items():
        model._base_manager.update(updated_at=now)
        gone = before - set(model.objects.published().values_list("slug", flat=True))
        stored = set(
            model._base_manager.filter(slug__in=gone).values_list("slug", flat=True)
        )
        bury(model, stored, "unpublished")
        bury(model, gone - stored, "deleted")
        buried += len(gone)
    content_changed()
    return buried


def empty_cache():
    """Drop every key of this site from the cache; False when it cannot be reached."""
    if hasattr(cache, "delete_pattern"):  # Redis: only this site's keys
        return cache.delete_pattern("*") is not None
    cache.clear()
    return True


def check_media(path):
    """Read the whole archive once, so that a damaged one stops the restore before it starts."""
    try:
        with tarfile.open(path) as archive:
            for _name, entry in media_files(archive):
                file = archive.extractfile(entry)
                while file.read(1 << 20):
                    pass
    except (OSError, tarfile.TarError, EOFError) as error:
        raise CommandError(f"{path} cannot be read: {error}") from error


def restore_media(storage, path):
    """Make the storage hold exactly the files of the archive; return how many."""
    before = set(stored_files(storage))
    restored = set()
    with tarfile.open(path) as archive:
        for name, entry in media_files(archive):
            if name in before:
                storage.delete(name)  # else the storage would save under a new name
            content = File(archive.extractfile(entry), name=name)
            content.size = entry.size
            if storage.save(name, content) != name:
                raise CommandError(f"{name} could not be restored under its own name.")
            restored.add(name)
    for name in before - restored:
        storage.delete(name)
    return len(restored)


class Command(BaseCommand):
    help = "Restore a backup folder into the database of DATABASE_URL and the media storage (replacing them)."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="A folder written by `manage.py backup`.")
        parser.add_argument(
            "--no-input", action="store_true", help="Do not ask for confirmation."
        )

    def handle(self, *args, folder, **options):
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            raise CommandError(f"{folder} is not a backup folder (no manifest.json).")
        manifest = json.loads(manifest_path.read_text())
        if manifest["vendor"] != connection.vendor:
            raise CommandError(
                f"This backup is of a {manifest['vendor']} database; the configured one is {connection.vendor}."
            )
        database = settings.DATABASES["default"]
        if not options["no_input"]:
            answer = input(
                f"Replace the contents of database {database['NAME']} and the media in {describe(default_storage)}? [y/N] "
            )
            if answer.lower() != "y":
                raise CommandError("Cancelled.")
        check_media(folder / "media.tar.gz")
        public_before = public_slugs()
        connection.close()
        if connection.vendor == "postgresql":
            result = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--dbname", database["NAME"], str(folder / "database.dump")],
                env={**pg_environment(database), "PATH": "/usr/bin:/bin:/usr/local/bin"},
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if result.returncode:
                raise CommandError(
                    f"pg_restore failed (nothing was changed): {result.stderr.strip()}"
                )
        else:
            with (
                sqlite3.connect(folder / "database.sqlite3") as source,
                sqlite3.connect(database["NAME"]) as target,
            ):
                source.backup(target)
        try:
            count = restore_media(default_storage, folder / "media.tar.gz")
        except CommandError:
            raise
        except Exception as error:
            raise CommandError(
                f"The database was restored, but writing the media to {describe(default_storage)} "
                f"failed: {error}. Run the restore again once the storage answers."
            ) from error
        buried = announce_restored(public_before)
        if not empty_cache():
            self.stderr.write(
                "The cache could not be reached to empty it. No answer cached "
                "before the restore will be served (the change time moved on), "
                "but empty it once it answers: manage.py shell -c "
                "'from django.core.cache import cache; cache.clear()'."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {folder} ({count} media files into {describe(default_storage)}); "
                f"restored content marked as changed now, {buried} withdrawn."
            )
        )
