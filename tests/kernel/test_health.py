"""Liveness and readiness: /healthz answers while the process runs, /readyz while the database does."""

import pytest
from django.db import DatabaseError


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_reachable_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_fails(client, monkeypatch):
    from alliance.kernel import health

    def broken_cursor():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"


def test_health_checks_refuse_other_methods(client):
    assert client.post("/healthz").status_code == 405
