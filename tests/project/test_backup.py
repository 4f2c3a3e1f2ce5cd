"""Data safety: a backup restores into a new database with every object; migrations run both ways."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import ArticleFactory, MemberFactory, ScenarioParticipationFactory

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_new_database_with_every_object(tmp_path, settings):
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from members.demo import draw_logo

    member = MemberFactory(slug="kept")
    member.logo.save(
        "kept.png", ContentFile(draw_logo("Kept", "#0b3a6f").read()), save=True
    )
    ArticleFactory(slug="kept-story", members=[member])
    ScenarioParticipationFactory(member=member)
    call_command("backup", output=str(tmp_path / "backup"))
    assert (tmp_path / "backup" / "media.tar.gz").stat().st_size > 0

    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "DJANGO_SETTINGS_MODULE": "alliance.project.settings",
    }
    if connection.vendor == "postgresql":
        name = f"restore_{uuid.uuid4().hex[:8]}"
        admin = {
            "PATH": "/usr/bin:/bin",
            "PGHOST": database["HOST"] or "127.0.0.1",
            "PGUSER": database["USER"],
        }
        subprocess.run(["createdb", name], env=admin, check=True)
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{name}"
        )
    else:
        name = str(tmp_path / "restored.sqlite3")
        env["DATABASE_URL"] = f"sqlite:///{name}"
    try:
        manage("restore", str(tmp_path / "backup"), "--no-input", env=env)
        check = (
            "from members.models import Member; from news.models import Article;"
            "from alliance.content.models import ScenarioParticipation;"
            "m = Member.objects.get(slug='kept');"
            "print(m.name, m.articles.count(), ScenarioParticipation.objects.filter(member=m).count(), m.logo.storage.exists(m.logo_small.name))"
        )
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup();" + check],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.split()[-3:] == ["1", "1", "True"]

        # Restoring again over a site that moved on since the backup: what
        # was added since is withdrawn with a tombstone, what comes back is
        # marked as changed now, and the cache holds nothing from before.
        again = (
            "from django.core.cache import cache;"
            "from django.core.management import call_command;"
            "from django.utils import timezone;"
            "from alliance.kernel.models import Tombstone; from members.models import Member;"
            "from news.models import Article; from tests.factories import ArticleFactory;"
            "start = timezone.now(); ArticleFactory(slug='later-story');"
            "cache.set('response:probe', 'stale');"
            f"call_command('restore', {str(tmp_path / 'backup')!r}, no_input=True);"
            "print(cache.get('response:probe'), Member.objects.get(slug='kept').updated_at >= start,"
            " Tombstone.objects.filter(slug='later-story', reason='deleted').exists(),"
            " Article.objects.filter(slug='later-story').exists())"
        )
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup();" + again],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.split()[-4:] == ["None", "True", "True", "False"]
    finally:
        if connection.vendor == "postgresql":
            subprocess.run(["dropdb", "--if-exists", name], env=admin, check=False)


def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="not a backup folder"):
        call_command("restore", str(tmp_path), no_input=True)


@pytest.mark.django_db(transaction=True)
def test_every_migration_can_be_reversed_and_reapplied():
    from django.core.management import call_command

    for app in ("news", "members", "alliance"):
        call_command("migrate", app, "zero", verbosity=0)
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Editors",
        "Membership managers",
    }
