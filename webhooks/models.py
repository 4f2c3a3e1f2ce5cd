"""Partners' webhook endpoints, the events of public changes, and every delivery attempt.

An `Event` is written for each public change that some active endpoint
wants, in the transaction of the change (an outbox): a change that is rolled
back leaves no event, and a committed one is never lost, however long the
partner's server is away. A `Delivery` is one event for one endpoint; an
`Attempt` is one POST of it, kept for `ATTEMPTS_KEPT`.
"""

import base64
import datetime
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.kernel.changes import Kind
from alliance.kernel.tombstones import resources

from .outbound import validate_endpoint_url

# How long a rotated-out secret still signs deliveries, beside the new one.
SECRET_OVERLAP = datetime.timedelta(hours=24)
# An endpoint failing without a success for this long is disabled.
DISABLE_AFTER = datetime.timedelta(days=3)
ATTEMPTS_KEPT = datetime.timedelta(days=30)


def resource_choices():
    """The API's resources, as the kernel knows them once every app is loaded."""
    return [(name, name) for name in sorted(set(resources().values()))]


class TransactionNow(models.Func):
    """When the current transaction began, on PostgreSQL (Django's Now() is the statement's)."""

    template = "CURRENT_TIMESTAMP"
    output_field = models.DateTimeField()


def new_secret():
    """A signing secret as Standard Webhooks writes it: whsec_ and 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class EndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Endpoint(models.Model):
    partner = models.CharField(_("partner"), max_length=150)
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[validate_endpoint_url],
        help_text=_("Where the events are posted. Must start with https://."),
    )
    resources = models.JSONField(
        _("resources"),
        default=list,
        blank=True,
        help_text=_("The resources it is told about; none chosen means all."),
    )
    kinds = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_("The kinds of change it is told about; none chosen means all."),
    )
    contact_email = models.EmailField(
        _("contact email"),
        help_text=_("Told when the endpoint is disabled after failing for days."),
    )
    contact_language = models.CharField(
        _("contact language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Only active endpoints are sent events."),
    )
    secret = models.CharField(_("secret"), max_length=100, default=new_secret)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(
        _("failing since"), null=True, blank=True, editable=False
    )
    disabled_at = models.DateTimeField(
        _("disabled at"), null=True, blank=True, editable=False
    )
    # While a worker sends this endpoint's deliveries (one at a time, in
    # order), it holds this lease; see `deliveries.send_due`.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return f"{self.partner}: {self.url}"

    def wants(self, resource, kind):
        """Whether it is told of a `kind` change of `resource` (an empty choice is all)."""
        return (not self.resources or resource in self.resources) and (
            not self.kinds or kind in self.kinds
        )

    def signing_secrets(self, now=None):
        """The secrets that sign a delivery now: the current one, and the previous during the overlap."""
        now = now or timezone.now()
        if (
            self.previous_secret
            and self.previous_secret_until
            and (self.previous_secret_until > now)
        ):
            return [self.secret, self.previous_secret]
        return [self.secret]

    def rotate_secret(self, now=None):
        """Give the endpoint a new secret; the old one keeps signing for SECRET_OVERLAP."""
        now = now or timezone.now()
        self.previous_secret = self.secret
        self.previous_secret_until = now + SECRET_OVERLAP
        self.secret = new_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        return self.secret


class Event(models.Model):
    """One public change, as partners are told of it. Holds nothing that is not public."""

    # The `webhook-id` of its deliveries: the same on every retry, so that
    # receivers can ignore what they already applied.
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resource = models.CharField(_("resource"), max_length=30)
    slug = models.CharField(_("slug"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # For a withdrawal, what the tombstone says: "unpublished" or "deleted".
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    # When the transaction that wrote it began (on PostgreSQL; SQLite's
    # time is the statement's, to the second): see `event_record`.
    recorded_at = models.DateTimeField(db_default=TransactionNow(), editable=False)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["occurred_at"])]

    def __str__(self):
        return f"{self.resource}/{self.slug} {self.kind}"

    @property
    def webhook_id(self):
        return f"msg_{self.message_id.hex}"

    @property
    def type(self):
        return f"{self.resource}.{self.kind}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed (gave up)")


class DeliveryQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=DeliveryState.PENDING)

    def in_order(self):
        """Oldest event first: the order in which an endpoint is sent its deliveries."""
        return self.order_by("event_id")


class Delivery(models.Model):
    """One event for one endpoint, tried until delivered or given up."""

    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("event"),
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The next try of a pending delivery; null: as soon as possible.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="delivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "event"],
                name="delivery_pending",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint.partner}"


class Attempt(models.Model):
    """One POST of a delivery: when, how long, what came back."""

    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.CASCADE,
        related_name="attempt_set",
        verbose_name=_("delivery"),
    )
    at = models.DateTimeField(_("at"), db_index=True)
    succeeded = models.BooleanField(_("succeeded"))
    status_code = models.PositiveSmallIntegerField(
        _("response code"), null=True, blank=True
    )
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    # The first bytes of the answer, or why there was none.
    response_start = models.TextField(_("start of the answer"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-at"]

    def __str__(self):
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M:%S}"
