"""Events from public changes, and their delivery to partners' endpoints.

Each endpoint is sent its deliveries one at a time, oldest event first: a
worker takes the endpoint's lease (a time in its row) and sends until
nothing is due. A delivery that fails is tried again after each delay of
`RETRY_DELAYS` (Standard Webhooks' schedule: about 27 hours in all), and
the ones behind it wait, so a partner always receives changes in the order
they happened. An endpoint that has failed for `DISABLE_AFTER` without one
success is disabled and its contact told.
"""

import datetime
import functools
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from alliance.kernel.changes import Kind
from alliance.kernel.tasks import enqueue_later, enqueue_on_commit, task

from . import outbound
from .emails import endpoint_disabled
from .models import (
    ATTEMPTS_KEPT,
    DISABLE_AFTER,
    Attempt,
    Delivery,
    DeliveryState,
    Endpoint,
    Event,
    TransactionNow,
)

logger = logging.getLogger(__name__)

# The wait before each try after the first (WEBHOOKS_RETRY_DELAYS may set
# others, e.g. none at all for a throughput benchmark).
RETRY_DELAYS = [
    datetime.timedelta(seconds=seconds)
    for seconds in settings.WEBHOOKS_RETRY_DELAYS
    or [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]
]
# How long a worker may hold an endpoint before another may take it over
# (it renews the lease while it works).
LEASE = datetime.timedelta(minutes=5)
# Deliveries read from the database at a time.
BATCH = 200
# How much of an answer an attempt keeps.
ANSWER_KEPT = 500


# --- Events -----------------------------------------------------------------


def event_record(*, resource, slugs, kind, time, reason=""):
    """Write the events of a public change for the endpoints that want it.

    Runs in the transaction of the change (the kernel's `public_change`
    signal), and queues the endpoints' deliveries for its commit. An
    "updated" of an item that already has an event in this transaction adds
    nothing: receivers read the item as it is when they are told.
    """
    endpoints = [
        endpoint for endpoint in active_endpoints() if endpoint.wants(resource, kind)
    ]
    if not endpoints:
        return []
    if kind == Kind.UPDATED:
        told = set(
            Event.objects.filter(
                resource=resource, slug__in=slugs, recorded_at=TransactionNow()
            ).values_list("slug", flat=True)
        )
        slugs = [slug for slug in slugs if slug not in told]
    events = Event.objects.bulk_create(
        Event(resource=resource, slug=slug, kind=kind, reason=reason, occurred_at=time)
        for slug in slugs
    )
    Delivery.objects.bulk_create(
        Delivery(endpoint=endpoint, event=event)
        for endpoint in endpoints
        for event in events
    )
    if events:
        for endpoint in endpoints:
            enqueue_on_commit(deliver, endpoint_id=endpoint.pk)
    return events


def active_endpoints():
    """The active endpoints, read once per transaction.

    A bulk import or publish announces a change per row; the endpoints are
    the same for all of them. The list is kept beside the connection's
    list of commit hooks, which Django replaces at every commit and
    rollback, and forgotten when an endpoint is saved or deleted.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return list(Endpoint.objects.active())
    kept = getattr(connection, "webhook_endpoints", None)
    if kept is not None and kept[0] is connection.run_on_commit:
        return kept[1]
    endpoints = list(Endpoint.objects.active())
    connection.webhook_endpoints = (connection.run_on_commit, endpoints)
    return endpoints


def forget_endpoints(**kwargs):
    transaction.get_connection().webhook_endpoints = None


def payload(event):
    """The body of an event's deliveries: what changed, and where to read it.

    Nothing but what the public API shows: a withdrawal says what its
    tombstone says; the rest give the item's API address.
    """
    data = {
        "resource": event.resource,
        "slug": event.slug,
        "kind": event.kind,
        "changed_at": _utc(event.occurred_at),
    }
    if event.kind == Kind.WITHDRAWN:
        data["reason"] = event.reason
    else:
        data["url"] = f"{_api_root()}{event.resource}/{event.slug}/"
    return {"type": event.type, "timestamp": _utc(event.occurred_at), "data": data}


@functools.cache
def _api_root():
    """The API's address, worked out once: reverse() costs more than a POST here."""
    return f"{settings.SITE_URL}{reverse('api:api-root')}"


def _utc(moment):
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


# --- Deliveries ---------------------------------------------------------------


# A run lost with its worker is run again, as often as a delivery is tried
# again: the lease of a dead worker runs out (LEASE) and the next run sends
# what was not recorded as delivered, under the same `webhook-id`, which
# receivers de-duplicate on (docs/api.md). A run that is slow rather than
# dead keeps renewing its lease, so a second run finds it taken and stops.
@task(queue_name="webhooks", retry_lost=len(RETRY_DELAYS))
def deliver(*, endpoint_id):
    """Send an endpoint's due deliveries in order, unless another worker is at it.

    Answer how many were delivered.
    """
    delivered = 0
    while _take_lease(endpoint_id):
        try:
            delivered += _send_in_order(endpoint_id)
        finally:
            Endpoint.objects.filter(pk=endpoint_id).update(lease_until=None)
        # A delivery queued while the lease was held found it taken and
        # left it to this worker: look once more after letting go.
        if not _due(endpoint_id).exists():
            break
    attempts_prune()
    return delivered


def _take_lease(endpoint_id):
    now = timezone.now()
    return bool(
        Endpoint.objects.active()
        .filter(pk=endpoint_id)
        .exclude(lease_until__gt=now)
        .update(lease_until=now + LEASE)
    )


def _due(endpoint_id, now=None):
    """Pending deliveries, when the first in line is due (or none)."""
    first = (
        Delivery.objects.pending()
        .filter(endpoint_id=endpoint_id)
        .in_order()
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    pending = Delivery.objects.pending().filter(endpoint_id=endpoint_id)
    if first is not None and first > (now or timezone.now()):
        return pending.none()
    return pending


def _send_in_order(endpoint_id):
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    book = _Book(endpoint)
    try:
        while True:
            book.write()  # what the next batch is read from
            batch = list(
                Delivery.objects.pending()
                .filter(endpoint=endpoint)
                .in_order()
                .select_related("event")[:BATCH]
            )
            if not batch:
                return book.delivered
            for delivery in batch:
                if delivery.next_attempt_at and delivery.next_attempt_at > (
                    timezone.now()
                ):
                    return book.delivered  # its retry is due later; the rest wait
                while not attempt(endpoint, delivery, book):
                    if not endpoint.is_active:
                        return book.delivered
                    if delivery.state != DeliveryState.PENDING:
                        break  # given up: on to the next
                    if delivery.next_attempt_at > timezone.now():
                        return book.delivered  # its retry is scheduled
                book.write_if_due()
    finally:
        book.write()


class _Book:
    """The attempts of one run, written to the database together.

    One transaction per attempt would cost more than the POST itself; so
    the attempts and the deliveries' states are written every WRITE_EVERY
    attempts or seconds, and whenever the run stops. A worker that dies in
    between sends those deliveries again on its next run: receivers keep
    the `webhook-id`s they applied (the specification's advice).
    """

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.attempts = []
        self.deliveries = {}
        self.delivered = 0
        self.retry_at = None
        self.disabled = False
        self.health_changed = False
        self.written_at = time.monotonic()
        self.lease_until = timezone.now() + LEASE

    def add(self, delivery, attempt):
        self.attempts.append(attempt)
        self.deliveries[delivery.pk] = delivery
        if delivery.state == DeliveryState.DELIVERED:
            self.delivered += 1

    def write_if_due(self):
        if (
            len(self.attempts) >= WRITE_EVERY
            or time.monotonic() - self.written_at >= WRITE_SECONDS
        ):
            self.write()

    @transaction.atomic
    def write(self):
        self.written_at = time.monotonic()
        now = timezone.now()
        Attempt.objects.bulk_create(self.attempts)
        # One UPDATE per outcome rather than bulk_update's CASE per row: a
        # run's deliveries share a handful of outcomes (delivered at the
        # first try, at the second...). The time of delivery is the
        # group's latest, at most WRITE_SECONDS late.
        groups = {}
        for delivery in self.deliveries.values():
            key = (delivery.state, delivery.attempts, delivery.next_attempt_at)
            groups.setdefault(key, []).append(delivery)
        for (state, attempts, next_attempt_at), group in groups.items():
            delivered = [d.delivered_at for d in group if d.delivered_at]
            Delivery.objects.filter(pk__in=[d.pk for d in group]).update(
                state=state,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                delivered_at=max(delivered) if delivered else None,
            )
        self.attempts, self.deliveries = [], {}
        endpoint = self.endpoint
        if self.disabled:
            self.disabled = False
            endpoint_disable(endpoint=endpoint, now=endpoint.disabled_at)
        elif self.health_changed:
            endpoint.save(update_fields=["failing_since"])
        self.health_changed = False
        if self.lease_until - now < LEASE / 2:
            self.lease_until = now + LEASE
            Endpoint.objects.filter(pk=endpoint.pk).update(lease_until=self.lease_until)
        if self.retry_at and endpoint.is_active:
            enqueue_later(deliver, self.retry_at, endpoint_id=endpoint.pk)
        self.retry_at = None


# Attempts are written to the database this often (count, seconds).
WRITE_EVERY = 100
WRITE_SECONDS = 1.0


def signed_headers(endpoint, event, body, now):
    signatures = " ".join(
        Webhook(secret).sign(event.webhook_id, now, body)
        for secret in endpoint.signing_secrets(now)
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": f"{settings.SITE_SHORT_NAME}-webhooks",
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }


def attempt(endpoint, delivery, book):
    """POST a delivery once, note the attempt in `book`, and plan what comes next.

    Answer whether it was delivered (the endpoint answered 2xx).
    """
    event = delivery.event
    now = timezone.now()
    body = json.dumps(payload(event), ensure_ascii=False, separators=(",", ":"))
    try:
        answer = outbound.post(
            endpoint.url,
            body.encode(),
            signed_headers(endpoint, event, body, now),
        )
    except outbound.RefusedDestination as refusal:
        answer = outbound.Answer(None, b"", 0, error=str(refusal)[:300])
    succeeded = answer.status is not None and 200 <= answer.status < 300
    delivery.attempts += 1
    if succeeded:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts > len(RETRY_DELAYS):
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    book.add(
        delivery,
        Attempt(
            delivery=delivery,
            at=now,
            succeeded=succeeded,
            status_code=answer.status,
            duration_ms=answer.duration_ms,
            response_start=answer.body[:ANSWER_KEPT].decode(errors="replace"),
            error=answer.error,
        ),
    )
    _note_health(endpoint, succeeded, now, book)
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        book.retry_at = delivery.next_attempt_at
    return succeeded


def _note_health(endpoint, succeeded, now, book):
    """Keep when the endpoint began failing; disable it after DISABLE_AFTER of failures."""
    if succeeded:
        if endpoint.failing_since:
            endpoint.failing_since = None
            book.health_changed = True
    elif endpoint.failing_since is None:
        endpoint.failing_since = now
        book.health_changed = True
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.is_active = False
        endpoint.disabled_at = now
        book.disabled = True


def endpoint_disable(*, endpoint, now=None):
    """Stop sending to a failing endpoint, and tell its contact (after the commit)."""
    endpoint.is_active = False
    endpoint.disabled_at = now or timezone.now()
    endpoint.save(update_fields=["is_active", "disabled_at"])
    logger.warning("Disabled webhook endpoint %s after failing for days", endpoint.pk)
    enqueue_on_commit(endpoint_disabled, endpoint_id=endpoint.pk)


@transaction.atomic
def deliveries_send_again(*, deliveries):
    """Queue these deliveries again from their first try (the admin's "send again")."""
    ids = [delivery.pk for delivery in deliveries]
    Delivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=None
    )
    endpoints = set(
        Delivery.objects.filter(pk__in=ids).values_list("endpoint_id", flat=True)
    )
    for endpoint_id in endpoints:
        enqueue_on_commit(deliver, endpoint_id=endpoint_id)
    return len(ids)


@transaction.atomic
def endpoint_enable(*, endpoint):
    """Send to an endpoint again, starting with what waited while it was off."""
    endpoint.is_active = True
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.save(update_fields=["is_active", "disabled_at", "failing_since"])
    Delivery.objects.pending().filter(endpoint=endpoint).update(next_attempt_at=None)
    enqueue_on_commit(deliver, endpoint_id=endpoint.pk)


def attempts_prune():
    """Forget attempts older than ATTEMPTS_KEPT, and events with nothing left to send."""
    cutoff = timezone.now() - ATTEMPTS_KEPT
    Attempt.objects.filter(at__lt=cutoff).delete()
    done = Event.objects.filter(occurred_at__lt=cutoff).exclude(
        deliveries__state=DeliveryState.PENDING
    )
    return done.delete()[0]
