"""Restore a folder written by `backup` into the configured database and media folder."""

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from .backup import pg_environment


class Command(BaseCommand):
    help = "Restore a backup folder into the database of DATABASE_URL and MEDIA_ROOT (replacing them)."

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
                f"Replace the contents of database {database['NAME']} and {settings.MEDIA_ROOT}? [y/N] "
            )
            if answer.lower() != "y":
                raise CommandError("Cancelled.")
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
        media = Path(settings.MEDIA_ROOT)
        with (
            tempfile.TemporaryDirectory() as scratch,
            tarfile.open(folder / "media.tar.gz") as archive,
        ):
            archive.extractall(scratch, filter="data")
            if media.exists():
                shutil.rmtree(media)
            extracted = Path(scratch) / "media"
            if extracted.exists():
                shutil.copytree(extracted, media)
            else:
                media.mkdir(parents=True)
        self.stdout.write(self.style.SUCCESS(f"Restored {folder}"))
