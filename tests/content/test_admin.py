import pytest

from tests.factories import (
    ScenarioFactory,
)

pytestmark = pytest.mark.django_db


def test_bulk_publish_of_scenarios(admin_client):
    drafts = ScenarioFactory.create_batch(2, status="draft")
    admin_client.post(
        "/admin/alliance/scenario/",
        {"action": "publish_selected", "_selected_action": [s.pk for s in drafts]},
    )
    from alliance.content.models import Scenario

    assert Scenario.objects.published().count() == 2
