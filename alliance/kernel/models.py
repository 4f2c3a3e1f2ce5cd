"""The kernel's own records: what left the public site, partners' keys, when content last changed, scheduled releases announced."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class TombstoneReason(models.TextChoices):
    UNPUBLISHED = "unpublished", _("Unpublished")
    DELETED = "deleted", _("Deleted")


class Tombstone(models.Model):
    """A record that a published object left the public site, for partners' mirrors.

    Written when a published object is unpublished, deleted or renamed (its
    old slug); removed when the object is published again under that slug.
    """

    resource = models.CharField(_("resource"), max_length=30)
    slug = models.SlugField(_("slug"), max_length=120)
    reason = models.CharField(
        _("reason"), max_length=12, choices=TombstoneReason.choices
    )
    removed_at = models.DateTimeField(
        _("removed at"), default=timezone.now, db_index=True
    )

    # The API lists them: a caching proxy names them (`record_keys`).
    public_content = True

    class Meta:
        ordering = ["removed_at", "pk"]
        db_table = "alliance_tombstone"
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "slug"], name="tombstone_once_per_slug"
            )
        ]
        indexes = [
            models.Index(
                fields=["resource", "removed_at"], name="tombstone_resource_removed"
            )
        ]

    def __str__(self):
        return f"{self.resource}/{self.slug} ({self.get_reason_display()})"


class PartnerKey(AbstractAPIKey):
    """An API key issued to a partner. Only a hash of the key is stored."""

    # The library's fields, with names and help in the admin's languages.
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        blank=False,
        default=None,
        help_text=_(
            "What the key is for, e.g. the partner's mirror. Need not be unique. "
            "At most 50 characters."
        ),
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_(
            "A revoked key is refused from then on. Revoking cannot be undone."
        ),
    )
    expiry_date = models.DateTimeField(
        _("expires"),
        blank=True,
        null=True,
        help_text=_("From this moment the key is refused. Empty: it does not expire."),
    )
    partner = models.CharField(_("partner"), max_length=150)
    contact_email = models.EmailField(_("contact email"), blank=True)
    last_used_at = models.DateTimeField(
        _("last used"), null=True, blank=True, editable=False
    )

    class Meta(AbstractAPIKey.Meta):
        db_table = "alliance_partnerkey"
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")

    def __str__(self):
        return f"{self.partner} ({self.prefix})"


class ContentChange(models.Model):
    """When public content last changed, anywhere: the API's Last-Modified.

    One row, moved by every save, deletion, relation change and bulk publish
    of public content (alliance/kernel/response_cache.py), in the same transaction
    as the change. An answer's Last-Modified taken from it is never older
    than a change that could alter the answer: an edit of a nested related
    object, or a deletion that shortens a list, included.
    """

    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        db_table = "alliance_contentchange"
        verbose_name = _("content change")
        verbose_name_plural = _("content changes")

    def __str__(self):
        return self.changed_at.isoformat()


class Release(models.Model):
    """A scheduled row that went public by the clock, announced once.

    A scheduled article saved several times before its publish time queues
    one announcement task per save; the first of them to run writes this
    row (one per object and publish time) with the announcement, in one
    transaction, and the others find it and announce nothing.
    """

    model = models.CharField(_("model"), max_length=100)
    object_pk = models.CharField(_("object"), max_length=64)
    public_at = models.DateTimeField(_("public at"))
    announced_at = models.DateTimeField(_("announced at"), default=timezone.now)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(
                fields=["model", "object_pk", "public_at"], name="release_once"
            )
        ]

    def __str__(self):
        return f"{self.model} {self.object_pk} at {self.public_at.isoformat()}"
