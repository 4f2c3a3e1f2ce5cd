"""The move of proposed logos from the public media to the private files, on a real schema."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alliance.kernel.private_files import private_storage
from tests.factories import MemberFactory, UserFactory

BEFORE = [("portal", "0001_initial")]
AFTER = [("portal", "0002_proposed_logos_private")]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.once]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_proposed_logos_move_to_the_private_files_and_back():
    member = MemberFactory()
    user = UserFactory()
    apps = migrate(BEFORE)
    try:
        ChangeRequest = apps.get_model("portal", "ChangeRequest")
        name = "portal/proposed-logos/0123abcd/logo.png"
        default_storage.save(name, ContentFile(b"a logo"))
        request = ChangeRequest.objects.create(
            member_id=member.pk, submitted_by_id=user.pk, logo=name
        )
        # A request without a logo beside it is left as it is.
        ChangeRequest.objects.create(
            member_id=MemberFactory().pk, submitted_by_id=user.pk
        )

        migrate(AFTER)
        assert not default_storage.exists(name)
        with private_storage().open(name) as moved:
            assert moved.read() == b"a logo"

        migrate(BEFORE)
        assert not private_storage().exists(name)
        with default_storage.open(name) as back:
            assert back.read() == b"a logo"
        assert ChangeRequest.objects.get(pk=request.pk).logo == name
    finally:
        migrate(AFTER)
