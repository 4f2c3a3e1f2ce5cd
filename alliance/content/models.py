"""The alliance's own content: scenarios and their fields, events, initiatives, pages."""

import datetime

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from alliance.kernel.images import (
    SCENARIO_RENDITIONS,
    beside_renditions,
    rendition_field,
    renditions_follow,
    size_field,
    srcset,
    validate_picture,
)
from alliance.kernel.links import WebAddressField
from alliance.kernel.publishing import (
    Publishable,
    PublishableQuerySet,
    columns,
    if_published,
    slug_url,
    summary_fields,
)
from alliance.kernel.search import SearchableQuerySet, SearchDocument
from members.models import Member
from news.models import Article

# How many of the newest related articles a page lists.
RELATED_NEWS = 10


class FieldQuerySet(PublishableQuerySet):
    def with_scenario_counts(self):
        """Each field with its number of published scenarios (`scenario_count`)."""
        return self.annotate(
            scenario_count=Count(
                "scenarios", filter=Q(scenarios__in=Scenario.objects.published())
            )
        )

    def with_scenarios(self):
        """Of fields counted by `with_scenario_counts()`, those with a scenario."""
        return self.filter(scenario_count__gt=0)


class Field(Publishable):
    """An application field of scenarios (public security, energy, ...)."""

    api_resource = "fields"

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self):
        return self.name


class EventQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_title_fields = ("name",)
    search_body_fields = ("description",)

    def upcoming(self, today=None):
        today = today or timezone.localdate()
        return self.filter(ends_on__gte=today).order_by("starts_on")

    def past(self, today=None):
        today = today or timezone.localdate()
        return self.filter(ends_on__lt=today).order_by("-starts_on")

    # --- Shapes: what each kind of page reads of an event -----------------

    def cards(self):
        """What the list of events shows of each: all but the long description."""
        return self.defer("description", *columns("description"))

    def for_detail(self):
        """An event's page: the event with what apps above this one show on it
        (`event_page_relations`), then, a query each, its newest articles, its
        published members, scenarios and initiatives, each as much as a link
        or card needs."""
        return self.select_related(*event_page_relations()).prefetch_related(
            Prefetch(
                "articles",
                # The event is how the prefetch puts each article in its place.
                queryset=Article.objects.published()
                .newest_first()
                .links("event")[:RELATED_NEWS],
                to_attr="latest_articles",
            ),
            Prefetch("members", queryset=Member.objects.published().links()),
            Prefetch(
                "scenarios",
                queryset=Scenario.objects.published().links("announced_at"),
            ),
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.published().launch_cards(),
            ),
        )


def event_page_relations():
    """The one-to-one relations of an event that apps above this one show on its page.

    Such an app names them on its AppConfig (`event_page_relations`, a list
    of the relations' names), and the event's page reads them with the
    event, in the same query, without this app knowing them: it sits below
    those apps and never imports them.
    """
    return [
        name
        for config in apps.get_app_configs()
        for name in getattr(config, "event_page_relations", ())
    ]


class Event(Publishable):
    """A conference, launch or meeting of the alliance."""

    api_resource = "events"

    name = models.CharField(_("name"), max_length=250)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Rich text, written with the editor's toolbar."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    city = models.CharField(_("city"), max_length=120, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    country = CountryField(_("country or region"), blank=True)
    website = WebAddressField(_("website"), blank=True)
    attendance = models.PositiveIntegerField(
        _("attendance"),
        null=True,
        blank=True,
        help_text=_("Number of participants, if known."),
    )
    members = models.ManyToManyField(
        "members.Member",
        related_name="events",
        blank=True,
        verbose_name=_("participating members"),
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["status", "starts_on"], name="event_status_starts")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="event_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": _("An event cannot end before it starts.")}
            )

    def get_absolute_url(self):
        return slug_url("alliance:event-detail", self.slug)

    def clock_changes(self):
        """When the clock alone changes what the public sees of it: it becomes past
        (`EventQuerySet.past`) at midnight after its last day, in the site's time zone."""
        if not self.ends_on:
            return []
        day = self.ends_on + datetime.timedelta(days=1)
        return [timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))]


class ScenarioStage(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    IN_DEVELOPMENT = "in_development", _("In development")
    PILOTING = "piloting", _("Piloting")
    OPERATIONAL = "operational", _("Operational")


class SpaceData(models.TextChoices):
    REMOTE_SENSING = "remote_sensing", _("Remote sensing")
    NAVIGATION = "navigation", _("Satellite navigation")
    SATCOM = "satcom", _("Satellite communications")
    LOW_ALTITUDE = "low_altitude", _("Low-altitude airspace")


class ScenarioQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_body_fields = ("description",)

    def in_field(self, field):
        return self.filter(field=field)

    def by_field(self):
        """Grouped by field in the fields' order; those in an unpublished field last."""
        listed = ExpressionWrapper(
            Field.published_condition(prefix="field__"), output_field=BooleanField()
        )
        return self.order_by(listed.desc(), "field__order", "field_id", "title", "pk")

    def at_stage(self, stage):
        return self.filter(stage=stage)

    def stage_counts(self):
        """{stage: scenarios} for the stages that have any."""
        return dict(
            self.order_by()
            .values_list("stage")
            .annotate(n=Count("pk"))
            .values_list("stage", "n")
        )

    # --- Shapes: what each kind of page reads of a scenario ---------------

    def cards(self):
        """What the list of scenarios shows of each: all but the long description,
        with the field."""
        return self.select_related("field").defer(
            "description", *columns("description")
        )

    def links(self, *also):
        """What a link to each needs (slug, state, title) and its field's name;
        `also` the columns a prefetch needs to put each in its place."""
        return self.select_related("field").only(
            *also, *summary_fields("title"), "field__status", *columns("field__name")
        )

    def for_detail(self):
        """A scenario's page: the scenario, its field and event, then, a query each,
        the published members taking part and the newest articles about it."""
        return self.select_related("field", "announced_at").prefetch_related(
            Prefetch(
                "participations",
                queryset=ScenarioParticipation.objects.of_published_members().member_links(),
            ),
            Prefetch(
                "articles",
                queryset=Article.objects.published()
                .newest_first()
                .links()[:RELATED_NEWS],
                to_attr="latest_articles",
            ),
        )


class Scenario(Publishable):
    """An application scenario of space (and airspace) information."""

    api_resource = "scenarios"

    title = models.CharField(_("title"), max_length=250)
    field = models.ForeignKey(
        Field,
        on_delete=models.PROTECT,
        related_name="scenarios",
        verbose_name=_("field"),
    )
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Rich text, written with the editor's toolbar."),
    )
    stage = models.CharField(
        _("stage"),
        max_length=20,
        choices=ScenarioStage.choices,
        default=ScenarioStage.ANNOUNCED,
        db_index=True,
    )
    region = models.CharField(_("region"), max_length=150, blank=True)
    space_data = models.JSONField(
        _("space data used"),
        default=list,
        blank=True,
        help_text=_("Which kinds of space data the scenario relies on."),
    )
    is_example = models.BooleanField(
        _("illustrative example"),
        default=False,
        help_text=_(
            "Shown with a note that the scenario is an illustration, not an announced project."
        ),
    )
    announced_at = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("announced at"),
    )
    image = models.ImageField(
        _("image"),
        upload_to="scenarios/",
        max_length=255,
        blank=True,
        width_field="image_width",
        height_field="image_height",
        validators=[validate_picture],
        help_text=_(
            "PNG, JPEG, WebP or GIF, at most 5 MB. Resized copies are made for the public pages."
        ),
    )
    image_width = size_field()
    image_height = size_field()
    # Renditions of the image, made by a task after a save (alliance/kernel/images.py); pages and
    # the API use these, never the upload.
    image_small = rendition_field("scenarios/", "image_small")
    image_small_width = size_field()
    image_small_height = size_field()
    image_large = rendition_field("scenarios/", "image_large")
    image_large_width = size_field()
    image_large_height = size_field()
    image_rendered_from = models.CharField(max_length=255, blank=True, editable=False)
    image_alt = models.CharField(
        _("image text alternative"), max_length=250, blank=True
    )
    members = models.ManyToManyField(
        "members.Member",
        through="ScenarioParticipation",
        related_name="scenarios",
        blank=True,
        verbose_name=_("members"),
    )

    # The renditions of each image field, made by a task after a save (alliance/kernel/images.py).
    image_renditions = {"image": (SCENARIO_RENDITIONS, "image_rendered_from")}
    summary_title = "title"

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["field__order", "title"]
        verbose_name = _("application scenario")
        verbose_name_plural = _("application scenarios")
        indexes = [
            models.Index(fields=["status", "field"], name="scenario_status_field")
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **beside_renditions(self, kwargs))
        renditions_follow(self, "image")

    def clean(self):
        unknown = set(self.space_data or []) - set(SpaceData.values)
        if unknown:
            raise ValidationError(
                {
                    "space_data": _("Unknown kind of space data: %s")
                    % ", ".join(sorted(unknown))
                }
            )

    def get_absolute_url(self):
        return slug_url("alliance:scenario-detail", self.slug)

    @property
    def image_srcset(self):
        return srcset(
            (self.image_small, self.image_small_width),
            (self.image_large, self.image_large_width),
        )

    @property
    def public_field(self):
        """The scenario's field as the public may see it: None while the field is unpublished."""
        return if_published(self.field)

    @property
    def public_announced_at(self):
        """The event where the scenario was announced, when it is public; else None."""
        return if_published(self.announced_at)

    @property
    def space_data_labels(self):
        return [
            SpaceData(value).label
            for value in self.space_data
            if value in SpaceData.values
        ]


class ParticipationRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    TECHNOLOGY_PROVIDER = "technology_provider", _("Technology provider")
    USER_AGENCY = "user_agency", _("User agency")


class ScenarioParticipationQuerySet(models.QuerySet):
    def in_published_scenarios(self):
        """Parts in scenarios the public sees (a member's page lists them)."""
        return self.filter(scenario__in=Scenario.objects.published())

    def of_published_members(self):
        """Parts of members the public sees, with the member (a scenario's page lists them)."""
        return self.filter(member__in=Member.objects.published()).select_related(
            "member"
        )

    def member_links(self):
        """The role and a link to the member, by role then member (a scenario's page)."""
        return self.only(
            "role", "scenario", *(f"member__{name}" for name in summary_fields("name"))
        ).order_by("role", "member__name")

    def scenario_links(self):
        """The role and a link to the scenario with its field, by title (a member's page)."""
        return (
            self.select_related("scenario__field")
            .only(
                "role",
                "member",
                *(f"scenario__{name}" for name in summary_fields("title")),
                "scenario__field__status",
                *columns("scenario__field__name"),
            )
            .order_by("scenario__title")
        )

    def with_scenarios(self):
        """Each with its whole scenario (the member portal's list)."""
        return self.select_related("scenario")


class ScenarioParticipation(models.Model):
    """A member's part in a scenario."""

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="participations"
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="scenario_participations",
    )
    role = models.CharField(_("role"), max_length=24, choices=ParticipationRole.choices)

    objects = ScenarioParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["scenario", "role", "member__name"]
        verbose_name = _("scenario participant")
        verbose_name_plural = _("scenario participants")
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "member"], name="scenario_member_once"
            ),
        ]

    def __str__(self):
        return f"{self.member} ({self.get_role_display()})"


class InitiativeKind(models.TextChoices):
    ALLIANCE = "alliance", _("Alliance")
    COMMUNITY = "community", _("Industry community")
    FUND = "fund", _("Fund")
    PROGRAMME = "programme", _("Programme")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan")
    USD = "USD", _("US dollar")
    EUR = "EUR", _("Euro")


class InitiativeQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_title_fields = ("name",)
    search_body_fields = ("description", "participants_note")

    def for_index(self):
        """The initiatives of the index page: launch events first known, then by name."""
        return self.order_by(F("launched_on").asc(nulls_last=True), "name", "pk")

    # --- Shapes: what each kind of page reads of an initiative ------------

    def cards(self):
        """What the index shows of each: kind, amount, launch, summary, and a link
        to the launch event."""
        return self.select_related("launched_at").only(
            "kind",
            "amount",
            "currency",
            "launched_on",
            *summary_fields("name", "summary"),
            *(f"launched_at__{name}" for name in summary_fields("name")),
        )

    def launch_cards(self):
        """What the page of the event they were launched at shows of each: kind, name,
        summary (and the event, by which a prefetch puts each in its place)."""
        return self.only("launched_at", "kind", *summary_fields("name", "summary"))

    def links(self):
        """A link to each and to its launch event (a member's page)."""
        return self.select_related("launched_at").only(
            *summary_fields("name"),
            *(f"launched_at__{name}" for name in summary_fields("name")),
        )

    def for_detail(self):
        """An initiative's page: the initiative and its launch event, then the
        organizations taking part that the public may see (`public_participations`)."""
        return self.select_related("launched_at").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.public(),
                to_attr="public_participations",
            )
        )


class Initiative(Publishable):
    """An alliance-level programme: the alliance itself, a community, a fund group."""

    api_resource = "initiatives"

    name = models.CharField(_("name"), max_length=250)
    kind = models.CharField(
        _("kind"), max_length=20, choices=InitiativeKind.choices, db_index=True
    )
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("Rich text, written with the editor's toolbar."),
    )
    amount = models.DecimalField(
        _("amount"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, blank=True
    )
    launched_on = models.DateField(_("launched on"), null=True, blank=True)
    launched_at = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiatives",
        verbose_name=_("launched at"),
    )
    # The members among the participating organizations, through their
    # participations (organizations that are not members have none).
    participants = models.ManyToManyField(
        "members.Member",
        through="Participation",
        related_name="initiatives",
        blank=True,
        verbose_name=_("participating members"),
    )
    participants_note = models.CharField(
        _("about the participants"),
        max_length=400,
        blank=True,
        help_text=_("For example: backed by ten investment institutions."),
    )

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["launched_on", "name"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | ~Q(currency=""),
                name="initiative_amount_has_currency",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.amount is not None and not self.currency:
            raise ValidationError({"currency": _("An amount needs its currency.")})

    def get_absolute_url(self):
        return slug_url("alliance:initiative-detail", self.slug)

    @property
    def public_launched_at(self):
        """The event where the initiative was launched, when it is public; else None."""
        return if_published(self.launched_at)


class InitiativeRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    INVESTOR = "investor", _("Investor")
    MEMBER = "member", _("Member")


class ParticipationQuerySet(models.QuerySet):
    def public(self):
        """Participations the public may see, in their order, with what a list of them shows.

        An organization whose member record is not published still appears,
        under the participation's own organization name, never its member's
        (see `Participation.public_name`). A row with neither a published
        member nor a name of its own is left out. Of the member, only what a
        link to it needs is read.
        """
        named = Q()
        for column in columns("organization"):
            named |= Q(**{f"{column}__gt": ""})
        return (
            self.filter(Member.published_condition(prefix="member__") | named)
            .select_related("member")
            .only(
                "initiative",
                "order",
                "role",
                "is_example",
                *columns("organization"),
                *(f"member__{name}" for name in summary_fields("name")),
            )
            .order_by("order", "pk")
        )


class Participation(models.Model):
    """An organization's part in an initiative: lead, investor, member."""

    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("initiative"),
    )
    organization = models.CharField(
        _("organization"),
        max_length=250,
        help_text=_(
            "The organization's name as shown on the initiative's page. Where it "
            "is a published member, its member profile's name and link are shown instead."
        ),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=InitiativeRole.choices,
        default=InitiativeRole.MEMBER,
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiative_participations",
        verbose_name=_("member record"),
        help_text=_("When the organization is a member of the alliance."),
    )
    is_example = models.BooleanField(
        _("example name"),
        default=False,
        help_text=_(
            "A placeholder for an organization whose name is not known yet; "
            "shown with a note that it is an example."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["initiative", "order", "pk"]
        verbose_name = _("participating organization")
        verbose_name_plural = _("participating organizations")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "member"],
                condition=Q(member__isnull=False),
                name="initiative_member_once",
            ),
        ]

    def __str__(self):
        return f"{self.organization} ({self.get_role_display()})"

    @property
    def public_member(self):
        """The member record when it is published, else None."""
        return if_published(self.member)

    @property
    def public_name(self):
        """The name the public sees: the published member's, else the organization's own."""
        member = self.public_member
        return member.name if member is not None else self.organization


class PageQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_body_fields = ("body",)


class Page(Publishable):
    """A site page: about, charter, how to join, contact."""

    api_resource = "pages"

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_("Rich text, written with the editor's toolbar."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    show_in_footer = models.BooleanField(_("show in footer"), default=True)

    summary_title = "title"

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return slug_url("alliance:page-detail", self.slug)


# --- Search (see alliance/kernel/search.py) -----------------------------------------


class EventSearchDocument(SearchDocument):
    event = models.OneToOneField(
        Event,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )


class ScenarioSearchDocument(SearchDocument):
    scenario = models.OneToOneField(
        Scenario,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )


class InitiativeSearchDocument(SearchDocument):
    initiative = models.OneToOneField(
        Initiative,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )


class PageSearchDocument(SearchDocument):
    page = models.OneToOneField(
        Page,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
