"""Back up the database and the uploaded media into one folder.

PostgreSQL is dumped with pg_dump (custom format, restorable with
pg_restore); an SQLite database is copied with SQLite's own backup API.
Media files go into media.tar.gz. `restore` reads the same folder.
"""

import datetime
import json
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
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
        media = Path(settings.MEDIA_ROOT)
        with tarfile.open(folder / "media.tar.gz", "w:gz") as archive:
            if media.exists():
                archive.add(media, arcname="media")
        (folder / "manifest.json").write_text(
            json.dumps(
                {
                    "created": stamp,
                    "vendor": connection.vendor,
                    "database": database["NAME"],
                },
                indent=2,
            )
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {folder}"))
