from django.db import models
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.kernel.images import (
    COVER_RENDITIONS,
    beside_renditions,
    rendition_field,
    renditions_follow,
    size_field,
    srcset,
    validate_picture,
)
from alliance.kernel.links import WebAddressField
from alliance.kernel.neighbours import NeighbourOrder
from alliance.kernel.publishing import (
    Publishable,
    PublishableQuerySet,
    if_published,
    list_url,
    slug_url,
    summary_fields,
)
from alliance.kernel.search import SearchableQuerySet, SearchDocument
from alliance.kernel.translated import columns


class TagQuerySet(PublishableQuerySet):
    def links(self):
        """What a link to a tag needs: its slug, state and name."""
        return self.only(*summary_fields("name"))


class Tag(Publishable):
    api_resource = "tags"

    name = models.CharField(_("name"), max_length=80)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        """A topic's page is the news list filtered by it."""
        return list_url("news:article-list", tag=self.slug)


# A card shows no body: the long text stays in the database.
CARD_DEFERRED = ["body", *columns("body"), "byline", "source_name", "source_url",
                 "source_published_on"]  # fmt: skip


class ArticleQuerySet(SearchableQuerySet, PublishableQuerySet):
    search_body_fields = ("body",)

    def featured(self):
        return self.filter(featured=True)

    def tagged(self, tag):
        return self.filter(tags=tag)

    def about_member(self, member):
        return self.filter(members=member)

    def newest_first(self):
        return self.order_by("-published_at", "-pk")

    # --- Shapes: what each kind of page reads of an article ---------------

    def cards(self):
        """What the news list shows of each: all but the body and the source, with its
        published tags (one more query for the whole page)."""
        return self.defer(*CARD_DEFERRED).prefetch_related(
            Prefetch("tags", queryset=Tag.objects.published().links())
        )

    def teasers(self):
        """What the home page shows of each: title, summary, time, whether featured."""
        return self.only(
            "slug", *columns("title", "summary"), "published_at", "featured", "status"
        )

    def links(self, *also):
        """What a link to each needs (slug, state, title) and its time; `also` the
        columns a prefetch needs to put each in its place (`"event"`)."""
        return self.only("published_at", *summary_fields("title"), *also)

    def for_detail(self):
        """An article's page: the article and its event, in one query."""
        return self.select_related("event")

    # An article's neighbours in the order of the news list (`Article.neighbour_order`).

    def older_than(self, article):
        """The published articles listed after `article`, the nearest first."""
        return Article.neighbour_order.after(self, article)

    def newer_than(self, article):
        """The published articles listed before `article`, the nearest first."""
        return Article.neighbour_order.before(self, article)


def article_cover_path(instance, filename):
    return f"news/covers/{instance.slug}/{filename}"


class Article(Publishable):
    api_resource = "news"
    publish_time_field = "published_at"

    title = models.CharField(_("title"), max_length=250)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_("Rich text, written with the editor's toolbar."),
    )
    cover_image = models.ImageField(
        _("cover image"),
        upload_to=article_cover_path,
        max_length=255,
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
        validators=[validate_picture],
        help_text=_(
            "PNG, JPEG, WebP or GIF, at most 5 MB. Resized copies are made for the public pages."
        ),
    )
    cover_width = size_field()
    cover_height = size_field()
    # Renditions of the cover, made by a task after a save (alliance/kernel/images.py); pages and
    # the API use these, never the upload.
    cover_small = rendition_field(article_cover_path, "cover_small")
    cover_small_width = size_field()
    cover_small_height = size_field()
    cover_large = rendition_field(article_cover_path, "cover_large")
    cover_large_width = size_field()
    cover_large_height = size_field()
    cover_rendered_from = models.CharField(max_length=255, blank=True, editable=False)
    cover_alt = models.CharField(
        _("cover text alternative"), max_length=250, blank=True
    )
    byline = models.CharField(_("byline"), max_length=150, blank=True)

    # Syndicated news names where it first appeared.
    source_name = models.CharField(_("source publication"), max_length=150, blank=True)
    source_url = WebAddressField(_("source address"), max_length=500, blank=True)
    source_published_on = models.DateField(
        _("originally published on"), null=True, blank=True
    )

    tags = models.ManyToManyField(
        Tag, related_name="articles", blank=True, verbose_name=_("tags")
    )
    members = models.ManyToManyField(
        "members.Member",
        related_name="articles",
        blank=True,
        verbose_name=_("related members"),
    )
    scenarios = models.ManyToManyField(
        "alliance.Scenario",
        related_name="articles",
        blank=True,
        verbose_name=_("related scenarios"),
    )
    event = models.ForeignKey(
        "alliance.Event",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("related event"),
    )
    featured = models.BooleanField(_("featured"), default=False)
    published_at = models.DateTimeField(
        _("publish time"),
        default=timezone.now,
        help_text=_("The article appears at this time. A future time schedules it."),
    )

    # The renditions of each image field, made by a task after a save (alliance/kernel/images.py).
    image_renditions = {"cover_image": (COVER_RENDITIONS, "cover_rendered_from")}
    summary_title = "title"
    # Its page links to the published articles before and after it in the
    # news list (newest first; at the same time, the higher key first), so
    # that following "older" from the first article walks the whole list.
    # A change purges the pages next to the article, not every article page.
    neighbour_order = NeighbourOrder(["-published_at", "-pk"], within="published")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(
                fields=["status", "-published_at"], name="article_status_published"
            ),
            models.Index(
                fields=["-published_at"],
                condition=Q(featured=True),
                name="article_featured_published",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **beside_renditions(self, kwargs))
        renditions_follow(self, "cover_image")

    def get_absolute_url(self):
        return slug_url("news:article-detail", self.slug)

    @property
    def public_event(self):
        """The event the article reports on, when it is public; else None."""
        return if_published(self.event)

    @property
    def cover_srcset(self):
        return srcset(
            (self.cover_small, self.cover_small_width),
            (self.cover_large, self.cover_large_width),
        )


# --- Search (see alliance/kernel/search.py) -----------------------------------------


class ArticleSearchDocument(SearchDocument):
    article = models.OneToOneField(
        Article,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
