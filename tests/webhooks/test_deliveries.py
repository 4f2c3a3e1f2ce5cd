"""Public changes become signed events, delivered in order to a real receiver."""

import datetime
import json

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook, WebhookVerificationError

from alliance.kernel.publishing import Status, announce_when_public
from news.models import Article
from tests.factories import ArticleFactory, EndpointFactory, TagFactory
from tests.helpers import run_tasks
from webhooks.models import (
    Attempt,
    Delivery,
    DeliveryState,
    Endpoint,
    Event,
    new_secret,
)
from webhooks.services import RETRY_DELAYS

from .receiver import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_tasks")]


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def endpoint(receiver):
    return EndpointFactory(url=receiver.url)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change as its own committed transaction (its commit hooks run)."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return change()

    return run


def verified(endpoint, request, secret=None):
    """The event of a request, once its signature is verified as of when it was sent."""
    sent = datetime.datetime.fromtimestamp(
        int(request["headers"]["webhook-timestamp"]), tz=datetime.UTC
    )
    with time_machine.travel(sent, tick=False):
        return Webhook(secret or endpoint.secret).verify(
            request["body"], request["headers"]
        )


def test_publishing_an_article_delivers_one_signed_event(receiver, endpoint, commit):
    article = ArticleFactory(slug="orbit-day", status=Status.DRAFT)
    assert run_tasks() == 0  # a draft is no public change

    commit(lambda: Article.objects.filter(pk=article.pk).publish())
    assert run_tasks() == 1

    [request] = receiver.received
    assert request["path"] == "/hooks/alliance"
    assert request["headers"]["content-type"] == "application/json"
    event = verified(endpoint, request)
    assert event["type"] == "news.published"
    assert event["data"] == {
        "resource": "news",
        "slug": "orbit-day",
        "kind": "published",
        "changed_at": event["timestamp"],
        "url": "http://127.0.0.1:8000/api/v1/news/orbit-day/",
    }
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    assert request["headers"]["webhook-id"] == delivery.event.webhook_id
    [attempt] = Attempt.objects.all()
    assert attempt.succeeded and attempt.status_code == 204


def test_a_signature_made_with_another_secret_does_not_verify(
    receiver, endpoint, commit
):
    commit(lambda: ArticleFactory())
    run_tasks()
    [request] = receiver.received
    with pytest.raises(WebhookVerificationError):
        verified(endpoint, request, new_secret())
    tampered = {**request, "body": request["body"].replace(b"news", b"tags")}
    with pytest.raises(WebhookVerificationError):
        verified(endpoint, tampered)


def test_a_withdrawal_says_only_what_the_tombstone_says(receiver, endpoint, commit):
    article = commit(lambda: ArticleFactory(slug="secret-plans", title="Private title"))
    run_tasks()
    receiver.received.clear()

    def withdraw():
        article.status = Status.DRAFT
        article.save()

    commit(withdraw)
    run_tasks()
    [request] = receiver.received
    event = verified(endpoint, request)
    assert event["type"] == "news.withdrawn"
    assert event["data"] == {
        "resource": "news",
        "slug": "secret-plans",
        "kind": "withdrawn",
        "changed_at": event["timestamp"],
        "reason": "unpublished",
    }
    assert b"Private title" not in request["body"]


def test_editing_a_draft_or_a_private_record_sends_nothing(receiver, endpoint, commit):
    article = ArticleFactory(status=Status.DRAFT)

    def edit():
        article.title = "Still a draft"
        article.save()
        article.tags.add(TagFactory(status=Status.DRAFT))

    commit(edit)
    run_tasks()
    assert receiver.received == []
    assert not Event.objects.exists()


def test_a_scheduled_article_is_announced_when_its_time_comes(
    receiver, endpoint, commit
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        soon = start + datetime.timedelta(hours=1)
        article = commit(lambda: ArticleFactory(slug="at-nine", published_at=soon))

        def reschedule():
            article.published_at = soon + datetime.timedelta(hours=1)
            article.save()

        commit(reschedule)
        run_tasks()
        assert receiver.received == []  # not public yet
        clock.shift(datetime.timedelta(hours=1))
        run_tasks()
        assert receiver.received == []  # moved an hour later
        clock.shift(datetime.timedelta(hours=1))
        run_tasks()
        [request] = receiver.received
        event = verified(endpoint, request)
        assert event["type"] == "news.published"
        assert event["data"]["slug"] == "at-nine"


def test_a_scheduled_article_saved_twice_is_announced_once_at_its_time(
    receiver, endpoint, commit
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        soon = start + datetime.timedelta(hours=1)
        article = commit(lambda: ArticleFactory(slug="twice", published_at=soon))

        def edit():
            article.title = "Corrected before its time"
            article.save()

        commit(edit)
        # Two saves, two tasks waiting for the same publish time.
        assert DBTaskResult.objects.filter(status="READY").count() == 2
        clock.shift(datetime.timedelta(hours=1))
        run_tasks()
        [request] = receiver.received
        assert verified(endpoint, request)["type"] == "news.published"
        assert Event.objects.filter(slug="twice").count() == 1
        # Run again from the admin, the task still announces nothing new.
        assert (
            announce_when_public.call(
                label="news.article", pk=article.pk, at=soon.isoformat()
            )
            is False
        )
        assert Event.objects.filter(slug="twice").count() == 1


def test_a_change_that_is_rolled_back_sends_nothing(receiver, endpoint, commit):
    def publish_then_fail():
        ArticleFactory()
        raise RuntimeError("the save failed half way")

    with pytest.raises(RuntimeError):
        commit(publish_then_fail)
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert run_tasks() == 0
    assert receiver.received == []


def test_one_save_with_its_links_is_one_event(receiver, endpoint, commit):
    article = ArticleFactory(status=Status.DRAFT)

    def publish_with_tags():
        article.status = Status.PUBLISHED
        article.save()
        article.tags.set([TagFactory(status=Status.DRAFT)])

    commit(publish_with_tags)
    run_tasks()
    assert [verified(endpoint, r)["type"] for r in receiver.received] == [
        "news.published"
    ]


def test_a_bulk_publish_is_one_event_per_item_and_one_task(receiver, endpoint, commit):
    ArticleFactory.create_batch(25, status=Status.DRAFT)
    commit(lambda: Article.objects.all().publish())
    assert DBTaskResult.objects.count() == 1
    run_tasks()
    assert len(receiver.received) == 25
    assert len(set(receiver.ids())) == 25


def test_an_endpoint_hears_only_the_resources_and_kinds_it_chose(receiver, commit):
    EndpointFactory(url=receiver.url, resources=["tags"], kinds=["withdrawn"])
    tag = TagFactory(slug="launch")
    ArticleFactory()
    commit(lambda: tag.delete())
    run_tasks()
    assert [json.loads(r["body"])["type"] for r in receiver.received] == [
        "tags.withdrawn"
    ]


def test_a_failing_receiver_is_retried_with_backoff_in_order(commit):
    with Receiver(answers=[500, 503, (429, b"slow down", {})]) as receiver:
        endpoint = EndpointFactory(url=receiver.url)
        first = ArticleFactory(slug="first")
        ArticleFactory(slug="second")

        def withdraw_first():
            first.status = Status.DRAFT
            first.save()

        commit(withdraw_first)
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            run_tasks()
            delivery = Delivery.objects.in_order().first()
            assert delivery.attempts == 1
            assert delivery.next_attempt_at == start + RETRY_DELAYS[0]
            # Nothing is due before the delay; the others wait behind it.
            clock.shift(RETRY_DELAYS[0] - datetime.timedelta(seconds=1))
            assert run_tasks() == 0
            clock.shift(datetime.timedelta(seconds=1))
            run_tasks()
            clock.shift(RETRY_DELAYS[1])
            run_tasks()
            clock.shift(RETRY_DELAYS[2])
            run_tasks()

        kinds = [
            (verified(endpoint, r)["data"]["slug"], verified(endpoint, r)["type"])
            for r in receiver.received
        ]
    assert kinds == [("first", "news.published")] * 4 + [
        ("second", "news.published"),
        ("first", "news.withdrawn"),
    ]
    # Every retry is the same message: a receiver can ignore what it applied.
    assert len(set(receiver.ids()[:4])) == 1
    statuses = list(
        Attempt.objects.order_by("at", "pk").values_list("status_code", flat=True)
    )
    assert statuses == [500, 503, 429, 204, 204, 204]
    assert Attempt.objects.filter(status_code=429).get().response_start == "slow down"
    assert not Delivery.objects.pending().exists()


def test_a_receiver_down_for_days_is_given_up_then_disabled_and_its_owner_told(
    commit,
):
    with Receiver(then=500) as receiver:
        endpoint = EndpointFactory(
            url=receiver.url, contact_email="ops@partner.example"
        )
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            commit(lambda: ArticleFactory(slug="first"))
            run_tasks()
            for delay in RETRY_DELAYS:
                clock.shift(delay)
                run_tasks()
            first = Delivery.objects.get(event__slug="first")
            # Tried for more than a day, then given up.
            assert first.state == DeliveryState.FAILED
            assert first.attempts == len(RETRY_DELAYS) + 1
            assert sum(RETRY_DELAYS, datetime.timedelta()) > datetime.timedelta(1)
            assert Endpoint.objects.get().is_active

            # Later changes keep failing until three days have passed.
            for n in range(40):
                waiting = Delivery.objects.pending().in_order().first()
                if waiting is None:
                    clock.shift(datetime.timedelta(hours=1))
                    commit(lambda n=n: ArticleFactory(slug=f"later-{n}"))
                else:
                    clock.move_to(waiting.next_attempt_at)
                run_tasks()
                if not Endpoint.objects.get().is_active:
                    break
        endpoint.refresh_from_db()
        assert not endpoint.is_active and endpoint.disabled_at is not None
        failing_for = endpoint.disabled_at - start
        assert datetime.timedelta(days=3) <= failing_for < datetime.timedelta(days=4)
        [message] = mail.outbox
        assert message.to == ["ops@partner.example"]
        assert receiver.url in message.body
        tried = len(receiver.received)
        commit(lambda: ArticleFactory(slug="third"))
        run_tasks()
        assert len(receiver.received) == tried  # disabled: nothing more is sent


def test_attempts_are_kept_thirty_days(receiver, endpoint, commit):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        commit(lambda: ArticleFactory())
        run_tasks()
        assert Attempt.objects.count() == 1
        clock.shift(datetime.timedelta(days=29))
        commit(lambda: ArticleFactory())
        run_tasks()
        assert Attempt.objects.count() == 2
        clock.shift(datetime.timedelta(days=2))
        commit(lambda: ArticleFactory())
        run_tasks()
        assert Attempt.objects.count() == 2
        assert Event.objects.count() == 2


def test_a_rotated_secret_still_signs_for_a_day_beside_the_new_one(
    receiver, endpoint, commit
):
    old = endpoint.secret
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        new = endpoint.rotate_secret()
        commit(lambda: ArticleFactory())
        run_tasks()
        request = receiver.received[-1]
        assert request["headers"]["webhook-signature"].count("v1,") == 2
        verified(endpoint, request, old)
        verified(endpoint, request, new)

        clock.shift(datetime.timedelta(hours=25))
        commit(lambda: ArticleFactory())
        run_tasks()
        request = receiver.received[-1]
        verified(endpoint, request, new)
        with pytest.raises(WebhookVerificationError):
            verified(endpoint, request, old)
