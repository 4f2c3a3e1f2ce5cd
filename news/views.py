from django.core.exceptions import BadRequest
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from alliance.listing import StrictPageMixin
from alliance.models import Scenario
from alliance.preview import PreviewMixin
from members.models import Member

from .models import Article, Tag


def search_articles(queryset, query):
    """Articles whose title, summary or body contains the query in either language."""
    condition = Q()
    for field in ("title", "summary", "body"):
        for language in ("en", "zh_hans"):
            condition |= Q(**{f"{field}_{language}__icontains": query})
    return queryset.filter(condition)


class ArticleListView(StrictPageMixin, ListView):
    """Published articles, newest first; filters ?tag=, ?member=, ?q=."""

    template_name = "news/article_list.html"
    paginate_by = 12
    max_query_length = 200

    def get_queryset(self):
        articles = (
            Article.objects.published()
            .newest_first()
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.published()))
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
            articles = search_articles(articles, self.query)
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
        return Article.objects.select_related("event").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.published()),
            Prefetch("members", queryset=Member.objects.published().order_by("name")),
            Prefetch(
                "scenarios",
                queryset=Scenario.objects.published().select_related("field"),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        published = Article.objects.published()
        context["previous_article"] = (
            published.filter(published_at__lt=article.published_at)
            .order_by("-published_at", "-pk")
            .first()
        )
        context["next_article"] = (
            published.filter(published_at__gt=article.published_at)
            .order_by("published_at", "pk")
            .first()
        )
        event = article.event
        context["event"] = event if event and event.is_published else None
        return context
