"""Registration for events: the settings of an event's form, its questions, and who registered.

Nothing here is public content: registrants' details are shown only to
Event staff and superusers (in the admin and at the check-in desk), and to
the registrant through the private link in their confirmation.
"""

import datetime
import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from alliance.content.models import Event

# Salts keep the two kinds of token apart: a ticket's QR code lets the
# door check a person in, never read or change their registration.
TICKET_SALT = "registrations.ticket"
MANAGE_SALT = "registrations.manage"


class Approval(models.TextChoices):
    NONE = "none", _("Everyone is confirmed at once")
    NON_MEMBERS = (
        "non_members",
        _("Members are confirmed at once; others wait for approval"),
    )
    ALL = "all", _("Everyone waits for approval")


class RegistrationSettings(models.Model):
    """Whether and how an event takes registrations. Events without settings take none."""

    event = models.OneToOneField(
        "alliance.Event",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="registration_settings",
        verbose_name=_("event"),
    )
    opens_at = models.DateTimeField(
        _("registration opens"),
        null=True,
        blank=True,
        help_text=_("Empty: open now."),
    )
    closes_at = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Empty: open until the event ends."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        help_text=_("Confirmed and awaiting approval, together. Empty: no limit."),
    )
    waitlist = models.BooleanField(
        _("waiting list"),
        default=True,
        help_text=_(
            "When the event is full, later registrants join a waiting list and are "
            "confirmed, in order, when someone cancels. Off: the form closes when full."
        ),
    )
    approval = models.CharField(
        _("approval"), max_length=20, choices=Approval.choices, default=Approval.NONE
    )
    ask_organization = models.BooleanField(_("ask for the organization"), default=True)
    ask_title = models.BooleanField(_("ask for the job title"), default=True)
    ask_phone = models.BooleanField(_("ask for a phone number"), default=False)
    ask_country = models.BooleanField(_("ask for the country or region"), default=True)
    privacy_notice = models.TextField(
        _("privacy notice"),
        blank=True,
        help_text=_(
            "Shown above the form. Say what the details are used for; the form adds "
            "when they are deleted."
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("days kept after the event"),
        default=90,
        help_text=_(
            "Registrants' names and contact details are erased this many days after the "
            "event ends; the counts stay."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration settings")
        verbose_name_plural = _("registration settings")

    def __str__(self):
        return str(self.event)

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError(
                {"closes_at": _("Registration must close after it opens.")}
            )

    @property
    def closes(self):
        """When the form closes: the time set, or the end of the event's last day."""
        if self.closes_at:
            return self.closes_at
        last_day = self.event.ends_on + datetime.timedelta(days=1)
        return timezone.make_aware(
            datetime.datetime.combine(last_day, datetime.time.min)
        )

    def state(self, now=None):
        """'not_open', 'open' or 'closed' at `now`."""
        now = now or timezone.now()
        if self.opens_at and now < self.opens_at:
            return "not_open"
        if now >= self.closes:
            return "closed"
        return "open"

    def erase_after(self):
        return self.event.ends_on + datetime.timedelta(days=self.retention_days)


def events_with_settings():
    """Events, each with its registration settings read in the same query.

    A shape spanning two apps lives in the higher one: this app knows the
    content's events, never the other way round. An event without settings
    takes no registrations.
    """
    return Event.objects.select_related("registration_settings")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    CHOICE = "choice", _("One of a list")
    YES_NO = "yes_no", _("Yes or no")
    NUMBER = "number", _("Number")


class Question(models.Model):
    """An event's own question, asked after the standard ones."""

    private_content = True  # shown on the form only, which is never cached

    settings = models.ForeignKey(
        RegistrationSettings, on_delete=models.CASCADE, related_name="questions"
    )
    label = models.CharField(_("question"), max_length=200)
    kind = models.CharField(
        _("kind of answer"),
        max_length=20,
        choices=QuestionKind.choices,
        default=QuestionKind.TEXT,
    )
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("For “One of a list”: one choice a line."),
    )
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.label

    def clean(self):
        if self.kind == QuestionKind.CHOICE and not self.choice_list():
            raise ValidationError({"choices": _("Give at least one choice.")})

    def choice_list(self):
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    @property
    def field_name(self):
        return f"question_{self.pk}"


class Status(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PENDING = "pending", _("Awaiting approval")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Declined")


# Who holds a place, and who is still in the running for one.
HOLDS_PLACE = (Status.CONFIRMED, Status.PENDING)
ACTIVE = (Status.CONFIRMED, Status.PENDING, Status.WAITLISTED)


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE)

    def holding_places(self):
        return self.filter(status__in=HOLDS_PLACE)

    def of_event(self, event):
        return self.filter(event=event)

    def not_erased(self):
        """Registrations whose registrant's details are still kept."""
        return self.filter(anonymized_at__isnull=True)

    def by_code(self, code):
        """The kept registration of this code (of a ticket or a private link), with its event."""
        return self.not_erased().filter(code=code).select_related("event")

    def at_the_door(self, query):
        """Kept, not cancelled, with `query` in the name, email or organization; by name."""
        return (
            self.not_erased()
            .exclude(status=Status.CANCELLED)
            .filter(
                Q(name__icontains=query)
                | Q(email__icontains=query)
                | Q(organization__icontains=query)
            )
            .order_by("name", "pk")
        )

    def counts(self):
        """Registered (confirmed), awaiting approval, waitlisted and checked in."""
        return self.aggregate(
            confirmed=models.Count("pk", filter=Q(status=Status.CONFIRMED)),
            pending=models.Count("pk", filter=Q(status=Status.PENDING)),
            waitlisted=models.Count("pk", filter=Q(status=Status.WAITLISTED)),
            checked_in=models.Count(
                "pk",
                filter=Q(status=Status.CONFIRMED, checked_in_at__isnull=False),
            ),
        )


def new_code():
    return secrets.token_urlsafe(9)


class Registration(models.Model):
    private_content = True  # never on a public page

    event = models.ForeignKey(
        "alliance.Event",
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=_("event"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, db_index=True
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    country = CountryField(_("country or region"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member organization"),
        help_text=_("Recognised from the address's domain and the member's website."),
    )
    # The secret behind the ticket and the private link; never shown as such.
    code = models.CharField(
        max_length=20, unique=True, default=new_code, editable=False
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    anonymized_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        permissions = [("check_in", _("Can check registrants in at the door"))]
        constraints = [
            # One registration an address and event, cancelled ones aside.
            models.UniqueConstraint(
                "event",
                "email",
                condition=Q(status__in=ACTIVE) & Q(anonymized_at__isnull=True),
                name="registration_one_per_email",
            ),
        ]
        indexes = [
            models.Index(
                fields=["event", "status", "created_at"], name="reg_event_status"
            ),
        ]

    def __str__(self):
        return self.name or _("(erased)")

    @property
    def ticket_token(self):
        return signing.Signer(salt=TICKET_SALT).sign(self.code)

    @property
    def manage_token(self):
        return signing.Signer(salt=MANAGE_SALT).sign(self.code)

    @classmethod
    def code_from(cls, token, *, salt):
        """The code a token signs, or None when it is not one of ours."""
        try:
            return signing.Signer(salt=salt).unsign(str(token).strip())
        except signing.BadSignature:
            return None

    def get_manage_url(self):
        return reverse(
            "registrations:manage",
            kwargs={"slug": self.event.slug, "token": self.manage_token},
        )
