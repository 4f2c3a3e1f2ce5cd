"""Requests in these tests run what waits for the commit (the emails) as they return.

Each test runs inside a transaction that is never committed, so Django's
`on_commit` callbacks would otherwise never run.
"""

import pytest
from django.test import Client, TestCase


class CommittingClient(Client):
    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def client():
    return CommittingClient()


@pytest.fixture
def admin_client(admin_user):
    client = CommittingClient()
    client.force_login(admin_user)
    return client
