"""An existing site upgrades across the move of the kernel's records into their own app.

The code as it was before the kernel app existed is taken from git, a new
PostgreSQL database is migrated and filled with the demo content by it (plus
a partner key, a tombstone and a group allowed to see partners' keys), and
then today's migrations run on that database. Every row must still be there,
the moved models read through their new app, and the permissions on them
still held.
"""

import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# The last commit before the kernel app: alliance/ was one flat app.
BEFORE_THE_KERNEL = "01b25d2eda518321fb5799f88c3fb6a113eedcd1"
TABLES = [
    "members_member",
    "members_sector",
    "members_tier",
    "news_article",
    "news_tag",
    "alliance_scenario",
    "alliance_event",
    "alliance_initiative",
    "alliance_participation",
    "alliance_page",
    "alliance_field",
    "alliance_tombstone",
    "alliance_partnerkey",
    "alliance_contentchange",
]
# Apps added since: their migrations give the roles permissions of their own.
NEW_APPS = ("portal", "registrations")
SEED = """
from alliance.models import PartnerKey, Tombstone
from django.contrib.auth.models import Group, Permission
PartnerKey.objects.create_key(name="mirror", partner="A partner")
Tombstone.objects.create(resource="news", slug="gone-story", reason="deleted")
group = Group.objects.create(name="Key keepers")
group.permissions.add(Permission.objects.get(codename="view_partnerkey"))
"""


def run(args, cwd, env):
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot(url):
    with psycopg.connect(url) as db:
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in TABLES
        }
        counts["auth_group_permissions"] = db.execute(
            "SELECT count(*) FROM auth_group_permissions AS gp"
            " JOIN auth_permission AS p ON p.id = gp.permission_id"
            " JOIN django_content_type AS ct ON ct.id = p.content_type_id"
            " WHERE NOT ct.app_label = ANY(%s)",
            [list(NEW_APPS)],
        ).fetchone()[0]
        records = {
            "members": db.execute(
                "SELECT slug, name_en, name_zh_hans FROM members_member ORDER BY slug"
            ).fetchall(),
            "tombstones": db.execute(
                "SELECT resource, slug, reason FROM alliance_tombstone ORDER BY slug"
            ).fetchall(),
            "keys": db.execute(
                "SELECT prefix, hashed_key, partner FROM alliance_partnerkey"
            ).fetchall(),
            "changed_at": db.execute(
                "SELECT changed_at FROM alliance_contentchange"
            ).fetchall(),
        }
    return counts, records


@pytest.mark.once
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the upgrade is proven on PostgreSQL"
)
def test_a_site_on_the_flat_layout_upgrades_with_every_row(tmp_path, settings):
    old = tmp_path / "before"
    old.mkdir()
    archive = tmp_path / "before.tar"
    subprocess.run(
        ["git", "archive", "--output", str(archive), BEFORE_THE_KERNEL],
        cwd=ROOT,
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(old, filter="data")
    # The previous layout installed an app the site no longer uses (nor installs).
    (old / "upgrade_settings.py").write_text(
        "from alliance.settings import *  # noqa: F403\n"
        "INSTALLED_APPS = [a for a in INSTALLED_APPS if a != 'template_partials']\n"
    )

    database = settings.DATABASES["default"]
    host, port, user = (
        database["HOST"] or "127.0.0.1",
        database["PORT"] or 5432,
        database["USER"],
    )
    name = f"upgrade_{uuid.uuid4().hex[:8]}"
    server = f"postgres://{user}@{host}:{port}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "REDIS_URL": "",
        }
        before = {**env, "DJANGO_SETTINGS_MODULE": "upgrade_settings"}
        run(["manage.py", "migrate", "--no-input"], old, before)
        run(["manage.py", "load_demo_content"], old, before)
        run(["manage.py", "shell", "-c", SEED], old, before)
        counts, records = snapshot(url)
        assert counts["members_member"] > 0 and counts["alliance_partnerkey"] == 1

        after = {**env, "DJANGO_SETTINGS_MODULE": "alliance.project.settings"}
        run(["manage.py", "migrate", "--no-input"], ROOT, after)
        assert snapshot(url) == (counts, records)

        # The moved models read and write through the kernel app, and the
        # group still holds its permission on partners' keys.
        checked = run(
            [
                "manage.py",
                "shell",
                "-c",
                "from alliance.kernel.models import PartnerKey, Tombstone\n"
                "from django.contrib.auth.models import Group\n"
                "print(PartnerKey.objects.get().partner)\n"
                "print(Tombstone.objects.get(slug='gone-story').reason)\n"
                "perm = Group.objects.get(name='Key keepers').permissions.get()\n"
                "print(perm.content_type.app_label, perm.codename)\n",
            ],
            ROOT,
            after,
        )
        assert checked.strip().splitlines()[-3:] == [
            "A partner",
            "deleted",
            "kernel view_partnerkey",
        ]
        # And back: the previous layout's migrations are reachable again.
        run(["manage.py", "migrate", "kernel", "zero", "--no-input"], ROOT, after)
        assert snapshot(url) == (counts, records)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
