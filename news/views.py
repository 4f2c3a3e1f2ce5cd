from django.core.exceptions import BadRequest
from django.db.models import Prefetch
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from alliance.kernel.listing import ListPageMixin
from alliance.kernel.preview import PreviewMixin
from alliance.kernel.publishing import columns, summary_fields
from members.models import Member

from .models import Article, Tag

# A card shows no body: leave the long text in the database.
CARD_DEFERRED = ["body", "body_en", "body_zh_hans", "byline", "source_name",
                 "source_url", "source_published_on"]  # fmt: skip
TAG_FIELDS = summary_fields("name")


class ArticleListView(ListPageMixin, ListView):
    """Published articles, newest first; filters ?tag=, ?member=, ?q=."""

    template_name = "news/article_list.html"
    paginate_by = 12
    max_query_length = 200

    def get_queryset(self):
        articles = (
            Article.objects.published()
            .newest_first()
            .defer(*CARD_DEFERRED)
            .prefetch_related(
                Prefetch("tags", queryset=Tag.objects.published().only(*TAG_FIELDS))
            )
        )
        self.tag = self.member = None
        self.query = self.request.GET.get("q", "").strip()[: self.max_query_length]
        if tag := self.request.GET.get("tag"):
            self.tag = Tag.objects.published().filter(slug=tag).first()
            if self.tag is None:
                raise BadRequest(_("Unknown topic “%(value)s”.") % {"value": tag[:50]})
            articles = articles.filter(tags=self.tag)
        if member := self.request.GET.get("member"):
            self.member = Member.objects.published().filter(slug=member).first()
            if self.member is None:
                raise BadRequest(
                    _("Unknown member “%(value)s”.") % {"value": member[:50]}
                )
            articles = articles.filter(members=self.member)
        if self.query:
            # The site search's index: every word (or Chinese pair) must match.
            articles = articles.search(self.query)
        return articles

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            tag=self.tag,
            member=self.member,
            query=self.query,
            tags=Tag.objects.published().order_by("slug"),
            is_filtered=bool(self.tag or self.member or self.query),
        )
        return context


class ArticleDetailView(PreviewMixin, DetailView):
    model = Article
    template_name = "news/article_detail.html"

    def get_base_queryset(self):
        return Article.objects.select_related("event")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        # Lazy: the template reads them inside a cached fragment, so they run
        # only when it is rendered again (after a change of the content).
        neighbours = Article.objects.published().only(
            "published_at", *summary_fields("title")
        )
        context.update(
            tags=article.tags.published().only(*TAG_FIELDS),
            members=article.members.published()
            .only(*summary_fields("name"))
            .order_by("name"),
            scenarios=article.scenarios.published()
            .select_related("field")
            .only(*summary_fields("title"), "field__status", *columns("field__name")),
            previous_article=SimpleLazyObject(
                lambda: (
                    neighbours.filter(published_at__lt=article.published_at)
                    .order_by("-published_at", "-pk")
                    .first()
                )
            ),
            next_article=SimpleLazyObject(
                lambda: (
                    neighbours.filter(published_at__gt=article.published_at)
                    .order_by("published_at", "pk")
                    .first()
                )
            ),
            event=article.public_event,
        )
        return context
