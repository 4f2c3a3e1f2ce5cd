"""The OpenAPI schema is valid, complete, and the API keeps to it under fuzzing."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
)


def test_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )
    text = (tmp_path / "schema.yaml").read_text()
    for parameter in (
        "updated_since",
        "lang",
        "cursor",
        "page_size",
        "ordering",
        "search",
    ):
        assert f"name: {parameter}" in text
    assert "'429':" in text and "'400':" in text and "X-Api-Key" in text


def test_docs_are_served_without_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    assert "cdn" not in html.lower() and "https://" not in html


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calls go straight to the WSGI application, not through Django's test client: stop it
    closing the connection at the end of each request (it holds the test's transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, wsgi_keeps_the_test_connection):
    sector = SectorFactory(slug="remote-sensing")
    tag = TagFactory(slug="policy")
    member = MemberFactory(slug="acme", sectors=[sector])
    ArticleFactory(slug="story", tags=[tag], members=[member])
    ScenarioParticipationFactory(member=member, scenario__slug="grid")
    EventFactory(slug="forum")
    InitiativeFactory(slug="fund", amount="1000", currency="USD")


@pytest.mark.django_db
@schema.include(method="GET").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_without_a_server_error(case, seeded):
    case.call_and_validate(
        # Straight to the WSGI application, nothing decompresses the answer:
        # ask for it plain (schemathesis otherwise sends gzip, deflate).
        headers={"Accept-Encoding": "identity"},
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.response_schema_conformance,
            schemathesis.checks.content_type_conformance,
        ],
    )
