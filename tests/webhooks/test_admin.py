"""Staff add partners' endpoints, see every attempt, and send deliveries again."""

import re

import pytest
from django.db import transaction
from django.urls import reverse

from tests.factories import ArticleFactory, EndpointFactory
from tests.helpers import run_tasks
from webhooks.models import Delivery, DeliveryState, Endpoint

from .receiver import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_tasks")]

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{40,}")


def test_the_secret_is_shown_once_when_an_endpoint_is_added(admin_client):
    response = admin_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {
            "partner": "Open Orbit Portal",
            "url": "https://hooks.open-orbit.example/alliance",
            "resources": ["news", "members"],
            "kinds": ["published", "withdrawn"],
            "contact_email": "ops@open-orbit.example",
            "contact_language": "zh-hans",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = Endpoint.objects.get()
    assert endpoint.resources == ["news", "members"]
    assert endpoint.kinds == ["published", "withdrawn"]
    assert SECRET.findall(response.content.decode()) == [endpoint.secret]

    change = admin_client.get(
        reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    )
    assert change.status_code == 200
    assert endpoint.secret not in change.content.decode()


def test_an_endpoint_url_on_the_local_network_is_refused_with_a_message(
    admin_client, settings
):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    response = admin_client.post(
        reverse("admin:webhooks_endpoint_add"),
        {
            "partner": "Sneaky",
            "url": "https://169.254.169.254/latest/",
            "contact_email": "x@example.org",
            "contact_language": "en",
        },
    )
    assert response.status_code == 200
    assert "private, loopback or reserved" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_for_a_day(
    admin_client,
):
    endpoint = EndpointFactory()
    old = endpoint.secret
    url = reverse("admin:webhooks_endpoint_rotate_secret", args=[endpoint.pk])
    assert "24 hours" in admin_client.get(url).content.decode()
    response = admin_client.post(url)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert SECRET.findall(response.content.decode()) == [endpoint.secret]
    assert endpoint.signing_secrets() == [endpoint.secret, old]


def test_attempts_are_listed_and_a_delivery_can_be_sent_again(
    admin_client, django_capture_on_commit_callbacks
):
    with Receiver(answers=[(500, b"database is down", {})], then=200) as receiver:
        EndpointFactory(url=receiver.url, partner="Open Orbit Portal")
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            ArticleFactory(slug="orbit-day")
        run_tasks()
        delivery = Delivery.objects.get()
        page = admin_client.get(
            reverse("admin:webhooks_delivery_change", args=[delivery.pk])
        ).content.decode()
        assert "database is down" in page and "500" in page

        # Sent again at once, ahead of its scheduled retry.
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:webhooks_delivery_send_again", args=[delivery.pk])
            )
        assert response.status_code == 302
        run_tasks()
        delivery.refresh_from_db()
        assert delivery.state == DeliveryState.DELIVERED

        # And once more, though delivered: the same message, by its id.
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                reverse("admin:webhooks_delivery_changelist"),
                {"action": "send_again", "_selected_action": [delivery.pk]},
            )
        run_tasks()
    assert len(receiver.received) == 3
    assert len(set(receiver.ids())) == 1
    listing = admin_client.get(reverse("admin:webhooks_delivery_changelist"))
    assert "orbit-day" in listing.content.decode()


def test_send_again_is_a_post(admin_client):
    endpoint = EndpointFactory()
    with transaction.atomic():
        ArticleFactory()
    delivery = Delivery.objects.get(endpoint=endpoint)
    url = reverse("admin:webhooks_delivery_send_again", args=[delivery.pk])
    assert admin_client.get(url).status_code == 403
