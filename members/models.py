import uuid
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from alliance.kernel.images import (
    LOGO_RENDITIONS,
    beside_renditions,
    renditions_follow,
    size_field,
    validate_logo,
)
from alliance.kernel.links import WebAddressField
from alliance.kernel.private_files import private_storage
from alliance.kernel.publishing import (
    Publishable,
    PublishableQuerySet,
    if_published,
    slug_url,
    summary_fields,
)
from alliance.kernel.search import SearchableQuerySet, SearchDocument
from alliance.kernel.translated import columns

# Where members of a tier the public cannot see come in the directory: last.
UNLISTED_TIER_ORDER = 32767


class TierQuerySet(PublishableQuerySet):
    """Tiers; publishing or withdrawing some moves their members in the directory."""

    def publish(self):
        count = super().publish()
        self.rank_members()
        return count

    def unpublish(self):
        count = super().unpublish()
        self.rank_members()
        return count

    def rank_members(self):
        for tier in self.only("pk", "order", "status"):
            tier.members.update(tier_order=tier.directory_rank)


class Tier(Publishable):
    """A membership tier (founding member, council member, member, observer)."""

    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(
        _("order"),
        default=0,
        help_text=_("Tiers are listed from the lowest number up."),
    )

    objects = TierQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("membership tier")
        verbose_name_plural = _("membership tiers")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Members carry their tier in the API, and tiers have no resource of
        # their own: a change to what members show of it changes the members,
        # so that partners syncing by `updated_at` fetch them again. Their
        # copy of the tier's rank (the directory's order) follows too. Before
        # saving, so that the change of content is announced after both.
        shown = ["slug", "status", "order", *columns("name")]
        before = type(self).objects.filter(pk=self.pk).values(*shown).first()
        if before and any(before[name] != getattr(self, name) for name in shown):
            self.members.update(
                updated_at=timezone.now(), tier_order=self.directory_rank
            )
        super().save(*args, **kwargs)

    @property
    def directory_rank(self):
        """Where the tier's members come in the directory; an unpublished tier's come last."""
        return self.order if self.is_published else UNLISTED_TIER_ORDER


class SectorQuerySet(PublishableQuerySet):
    def links(self):
        """What a link to a sector needs: its slug, state and name."""
        return self.only(*summary_fields("name"))

    def with_member_counts(self):
        """The sectors with published members, each with how many (`member_count`),
        the most first."""
        return (
            self.annotate(
                member_count=Count(
                    "members", filter=Q(members__in=Member.objects.published())
                )
            )
            .filter(member_count__gt=0)
            .order_by("-member_count", "order")
        )


class Sector(Publishable):
    """An industry sector a member works in (launch vehicles, remote sensing, ...)."""

    api_resource = "sectors"

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = SectorQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self):
        return self.name


# What a directory tile shows, and the tier it is grouped under.
DIRECTORY_FIELDS = [
    "slug", "status", "name", *columns("name"), "short_name", *columns("short_name"),
    "logo", "logo_small", "logo_width", "logo_height", "logo_small_width",
    "logo_small_height", "logo_large", "tier__slug", "tier__status",
    "tier__order", "tier__name", *columns("tier__name"),
]  # fmt: skip


class MemberQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_title_fields = ("name", "short_name")
    search_body_fields = ("capability",)

    def in_sector(self, sector):
        return self.filter(sectors=sector)

    def in_tier(self, tier):
        return self.filter(tier=tier)

    def in_country(self, country_code):
        return self.filter(country=country_code)

    def missing_english(self):
        """Members without an English name (made from an application in Chinese)."""
        return self.filter(models.Q(name_en__isnull=True) | models.Q(name_en=""))

    def with_logo(self):
        return self.exclude(logo="")

    def in_directory_order(self):
        """By tier (an unpublished tier's members last), then by name."""
        return self.order_by("tier_order", "name", "pk")

    # --- Shapes: what each kind of page reads of a member -----------------

    def tiles(self):
        """The directory's tiles: name, logo and the tier they are grouped under,
        in the directory's order."""
        return self.select_related("tier").only(*DIRECTORY_FIELDS).in_directory_order()

    def logo_wall(self):
        """Every column and the tier, in the directory's order (the embeddable logo wall)."""
        return self.select_related("tier").in_directory_order()

    def for_detail(self):
        """A member's page: the member and its tier, in one query."""
        return self.select_related("tier")

    def links(self):
        """What a link to each needs (slug, state, name), by name."""
        return self.only(*summary_fields("name")).order_by("name")

    def for_export(self):
        """Every column of the open-data file, with the tier and the published sectors."""
        return (
            self.select_related("tier")
            .prefetch_related(Prefetch("sectors", queryset=Sector.objects.published()))
            .order_by("name", "pk")
        )

    # --- Facets: how many of these members fall under each choice ---------
    # `order_by()` clears the default ordering, which would split the groups.

    def counts_by_sector(self):
        """{sector key: members}; a member of several sectors counts in each."""
        return dict(
            self.order_by()
            .values_list("sectors")
            .annotate(n=Count("pk", distinct=True))
            .values_list("sectors", "n")
        )

    def counts_by_tier(self):
        """{tier key: members}."""
        return dict(
            self.order_by()
            .values_list("tier")
            .annotate(n=Count("pk"))
            .values_list("tier", "n")
        )

    def counts_by_country(self):
        """{country code: members}."""
        return dict(
            self.order_by()
            .values_list("country")
            .annotate(n=Count("pk"))
            .values_list("country", "n")
        )


def member_logo_path(instance, filename):
    return f"members/logos/{instance.slug}/{filename}"


class Member(Publishable):
    """A member organization of the alliance."""

    api_resource = "members"

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    logo = models.ImageField(
        _("logo"),
        upload_to=member_logo_path,
        blank=True,
        width_field="logo_width",
        height_field="logo_height",
        validators=[validate_logo],
        help_text=_(
            "PNG, JPEG, WebP or GIF, at most 2 MB. Small copies are made for the public pages."
        ),
    )
    logo_width = size_field()
    logo_height = size_field()
    # Renditions of the logo, made by a task after a save; public pages use these, never the upload.
    logo_small = models.ImageField(
        upload_to=member_logo_path,
        blank=True,
        editable=False,
        width_field="logo_small_width",
        height_field="logo_small_height",
    )
    logo_small_width = size_field()
    logo_small_height = size_field()
    logo_large = models.ImageField(
        upload_to=member_logo_path, blank=True, editable=False
    )
    logo_rendered_from = models.CharField(max_length=255, blank=True, editable=False)
    logo_alt = models.CharField(
        _("logo text alternative"),
        max_length=200,
        blank=True,
        help_text=_(
            "What the logo says, for readers who cannot see it. Usually the name."
        ),
    )
    website = WebAddressField(_("website"), blank=True)
    country = CountryField(_("country or region"), db_index=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    sectors = models.ManyToManyField(
        Sector, related_name="members", verbose_name=_("sectors"), blank=True
    )
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, related_name="members", verbose_name=_("tier")
    )
    # The tier's rank (Tier.directory_rank), copied here so that the
    # directory's order (by tier, then name) is read from an index instead
    # of sorting every member.
    tier_order = models.PositiveSmallIntegerField(default=0, editable=False)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    joined_where = models.CharField(
        _("joined where"),
        max_length=250,
        blank=True,
        help_text=_(
            "For example: among the first signatories at the 2023 launch event."
        ),
    )
    capability = models.TextField(
        _("what it brings"),
        blank=True,
        help_text=_("The capability the member brings to the alliance."),
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Markdown.")
    )
    last_verified_on = models.DateField(
        _("last verified on"),
        null=True,
        blank=True,
        help_text=_(
            "When the secretariat last confirmed these details with the member."
        ),
    )

    # Private: these never leave the admin (no page, API, export or feed).
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True)

    # The renditions of each image field, made by a task after a save (alliance/kernel/images.py).
    image_renditions = {"logo": (LOGO_RENDITIONS, "logo_rendered_from")}

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["status", "tier"], name="member_status_tier"),
            models.Index(fields=["status", "country"], name="member_status_country"),
            models.Index(
                fields=["status", "tier_order", "name_en", "id"],
                name="member_directory_en",
            ),
            models.Index(
                fields=["status", "tier_order", "name_zh_hans", "id"],
                name="member_directory_zh_hans",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.tier_id is not None:
            self.tier_order = self.tier.directory_rank
        super().save(*args, **beside_renditions(self, kwargs))
        renditions_follow(self, "logo")

    def get_absolute_url(self):
        return slug_url("members:member-detail", self.slug)

    @property
    def display_name(self):
        return self.short_name or self.name

    @property
    def public_tier(self):
        """The member's tier as the public may see it: None while the tier is unpublished."""
        return if_published(self.tier)

    @property
    def needs_english(self):
        return not self.name_en


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class MembershipApplication(models.Model):
    """An application to join, sent through the public form. Never public."""

    private_content = True  # its changes leave the public pages as they are

    organization_name = models.CharField(_("organization name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    website = WebAddressField(_("website"), blank=True)
    country = CountryField(_("country or region"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    sectors = models.ManyToManyField(
        Sector, related_name="+", verbose_name=_("sectors"), blank=True
    )
    tier_requested = models.ForeignKey(
        Tier,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tier requested"),
    )
    capability = models.TextField(_("what the organization brings"))
    description = models.TextField(_("about the organization"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    message = models.TextField(_("message to the secretariat"), blank=True)

    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
        db_index=True,
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    member = models.OneToOneField(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("member created"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_(
            "The language of the form the applicant used: their emails are "
            "written in it, and the new member's text is filled in it."
        ),
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("membership application")
        verbose_name_plural = _("membership applications")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=ApplicationStatus.REJECTED)
                | ~models.Q(rejection_reason=""),
                name="application_rejection_has_reason",
            ),
        ]

    def __str__(self):
        return self.organization_name


# --- Search (see alliance/kernel/search.py) -----------------------------------------


class MemberSearchDocument(SearchDocument):
    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def member_import_path(instance, filename):
    # A name of our own: the file's name as uploaded is kept in `file_name`.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"member-imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def import_abandoned_before():
    """The time before which a running import has been heard of too long ago."""
    return timezone.now() - timedelta(minutes=settings.MEMBER_IMPORT_ABANDONED_MINUTES)


class MemberImportQuerySet(models.QuerySet):
    def abandoned(self):
        """Imports marked running for longer than MEMBER_IMPORT_ABANDONED_MINUTES: their worker stopped."""
        return self.filter(
            status=ImportStatus.RUNNING, started_at__lt=import_abandoned_before()
        )


class MemberImport(models.Model):
    """A spreadsheet of members too long for one request, imported by a worker. Never public.

    The file waits in private storage (never in the served media) until
    the worker has imported it, with the admin's checks: a file with any
    bad row imports nothing, and its problems are kept here as the admin's
    dry run lists them (row as the spreadsheet numbers it, column, reason).
    """

    private_content = True  # its changes leave the public pages as they are

    file = models.FileField(
        _("file"),
        upload_to=member_import_path,
        storage=private_storage,
        max_length=255,
        blank=True,
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    rows = models.PositiveIntegerField(_("rows"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ImportStatus.choices,
        default=ImportStatus.QUEUED,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # The uploader's language when they uploaded: the mail of the result's.
    language = models.CharField(max_length=10, default="en", editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    new = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("unchanged"), default=0)
    # Each problem as {"row": 3, "column": "tier", "message": "..."}; a row
    # of None is a problem of the whole file.
    problems = models.JSONField(_("problems"), default=list, blank=True)

    objects = MemberImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")

    def __str__(self):
        return (
            f"{self.file_name} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"
        )

    @property
    def is_finished(self):
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def is_abandoned(self):
        """Marked running for longer than an import takes: its worker stopped (`abandoned()`)."""
        return (
            self.status == ImportStatus.RUNNING
            and self.started_at is not None
            and self.started_at < import_abandoned_before()
        )
