"""Where the site may send webhooks, checked on the address it connects to."""

import socket
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tests.factories import ArticleFactory, EndpointFactory
from tests.helpers import run_tasks
from webhooks import outbound
from webhooks.models import Attempt, Delivery

from .receiver import Receiver


@pytest.fixture
def production(settings):
    """The rules with debugging off: https only, public addresses only."""
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.partner.example/",
        "ftp://hooks.partner.example/",
        "https://user:password@hooks.partner.example/",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/",
        "https://192.168.0.10/",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.100.100.200/",
        "https://[::1]/",
        "https://[fd00:ec2::254]/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
    ],
)
def test_an_endpoint_url_that_is_not_public_https_is_refused(production, url):
    with pytest.raises(ValidationError):
        outbound.validate_endpoint_url(url)


def test_a_public_https_url_is_accepted(production):
    outbound.validate_endpoint_url("https://hooks.partner.example/alliance?x=1")
    outbound.validate_endpoint_url("https://93.184.215.14:8443/hook")


def test_while_debugging_a_local_receiver_is_allowed(settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    outbound.validate_endpoint_url("http://127.0.0.1:9000/hooks")


def test_a_name_that_resolves_to_loopback_is_refused_at_send_time(production):
    # Saved when the rules allowed it (or when the name pointed elsewhere);
    # the address is checked again when sending.
    with (
        Receiver() as receiver,
        pytest.raises(outbound.RefusedDestination, match="127.0.0.1"),
    ):
        outbound.post(
            f"https://localhost:{receiver.port}/hooks", b"{}", {"x-test": "1"}
        )
    assert receiver.received == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    production, monkeypatch
):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(outbound.RefusedDestination, match="10.0.0.7"):
        outbound.resolve("rebinding.partner.example", 443)


@pytest.mark.django_db
def test_a_refused_delivery_is_an_attempt_with_the_reason_and_nothing_is_sent(
    production, database_tasks, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint = EndpointFactory(url="https://hooks.partner.example/")
        # The partner's name now points at this machine.
        type(endpoint).objects.filter(pk=endpoint.pk).update(
            url=f"https://localhost:{receiver.port}/hooks"
        )
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            ArticleFactory()
        run_tasks()
    assert receiver.received == []
    [attempt] = Attempt.objects.all()
    assert not attempt.succeeded and attempt.status_code is None
    assert "private, loopback or reserved" in attempt.error
    assert Delivery.objects.get().next_attempt_at is not None  # tried again later


def test_a_redirect_is_not_followed():
    answers = [(302, b"", {"Location": "http://127.0.0.1:1/elsewhere"})]
    with Receiver(answers=answers) as receiver:
        answer = outbound.post(receiver.url, b"{}", {})
    assert answer.status == 302
    assert len(receiver.received) == 1


def test_only_the_start_of_a_long_answer_is_read():
    long_answer = (200, b"x" * (10 * outbound.READ_LIMIT), {})
    with Receiver(answers=[long_answer, 200]) as receiver:
        answer = outbound.post(receiver.url, b"{}", {})
        assert answer.status == 200
        assert len(answer.body) == outbound.READ_LIMIT
        # The connection was dropped rather than read to the end; the next
        # send opens a new one and works.
        assert outbound.post(receiver.url, b"{}", {}).status == 200


def test_a_receiver_that_does_not_answer_is_given_up_on(monkeypatch):
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.2)
    release = threading.Event()

    def hang(request):
        release.wait(5)
        return 200

    with Receiver(answers=[hang]) as receiver:
        answer = outbound.post(receiver.url, b"{}", {})
        release.set()
    assert answer.status is None
    assert "timed out" in answer.error.lower()
