"""Back up the database and the uploaded media into one folder.

PostgreSQL is dumped with pg_dump (custom format, restorable with
pg_restore); an SQLite database is copied with SQLite's own backup API.
The media are read through the configured storage (the local folder or an
S3-compatible bucket alike) into media.tar.gz, each file as
`media/<its name in the storage>`. `restore` reads the same folder.
"""

import datetime
import json
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def pg_environment(database):
    """libpq environment variables for a Django database entry (no password on the command line)."""
    env = {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
    }
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    return {key: value for key, value in env.items() if value}


def stored_files(storage, folder=""):
    """Yield the name of every file in a storage, walking it with listdir."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a media folder that nothing was uploaded to yet
        return
    for name in files:
        yield posixpath.join(folder, name)
    for name in folders:
        yield from stored_files(storage, posixpath.join(folder, name))


def describe(storage):
    """Where a storage keeps its files, in words for a prompt or a message."""
    if bucket := getattr(storage, "bucket_name", None):
        location = getattr(storage, "location", "")
        return f"bucket {bucket}" + (f" (under {location}/)" if location else "")
    return str(getattr(storage, "location", storage))


def archive_media(storage, path):
    """Copy every file of the storage into a .tar.gz; return how many."""
    count = 0
    now = time.time()
    with tarfile.open(path, "w:gz") as archive:
        for name in stored_files(storage):
            # Through a local copy: a tar entry needs the size before the data.
            with storage.open(name, "rb") as source, tempfile.TemporaryFile() as copy:
                shutil.copyfileobj(source, copy)
                entry = tarfile.TarInfo(f"media/{name}")
                entry.size = copy.tell()
                entry.mtime = now
                copy.seek(0)
                archive.addfile(entry, copy)
            count += 1
    return count


class Command(BaseCommand):
    help = "Back up the database and media files into a new folder under backups/ (or --output)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", help="Folder to create (default: backups/<timestamp>)."
        )

    def handle(self, *args, **options):
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = Path(options["output"] or Path(settings.BASE_DIR) / "backups" / stamp)
        folder.mkdir(parents=True, exist_ok=False)
        database = settings.DATABASES["default"]
        if connection.vendor == "postgresql":
            dump = folder / "database.dump"
            result = subprocess.run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(dump),
                    database["NAME"],
                ],
                env={
                    **pg_environment(database),
                    "PATH": "/usr/bin:/bin:/usr/local/bin",
                },
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode:
                shutil.rmtree(folder)
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            with (
                sqlite3.connect(database["NAME"]) as source,
                sqlite3.connect(folder / "database.sqlite3") as target,
            ):
                source.backup(target)
        else:
            raise CommandError(
                f"Backups of {connection.vendor} databases are not supported."
            )
        try:
            media_files = archive_media(default_storage, folder / "media.tar.gz")
        except Exception as error:
            shutil.rmtree(folder)
            raise CommandError(
                f"Copying the media from {describe(default_storage)} failed: {error}"
            ) from error
        (folder / "manifest.json").write_text(
            json.dumps(
                {
                    "created": stamp,
                    "vendor": connection.vendor,
                    "database": database["NAME"],
                    "media_files": media_files,
                },
                indent=2,
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {folder} ({media_files} media files "
                f"from {describe(default_storage)})"
            )
        )
