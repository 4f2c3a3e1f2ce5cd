from django.core.exceptions import BadRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from alliance.kernel.listing import ListPageMixin
from alliance.kernel.preview import PreviewMixin
from members.models import Member

from .models import Article, Tag


class ArticleListView(ListPageMixin, ListView):
    """Published articles, newest first; filters ?tag=, ?member=, ?q=."""

    template_name = "news/article_list.html"
    paginate_by = 12
    max_query_length = 200

    def get_queryset(self):
        articles = Article.objects.published().newest_first().cards()
        self.tag = self.member = None
        self.query = self.request.GET.get("q", "").strip()[: self.max_query_length]
        if tag := self.request.GET.get("tag"):
            self.tag = Tag.objects.published().filter(slug=tag).first()
            if self.tag is None:
                raise BadRequest(_("Unknown topic “%(value)s”.") % {"value": tag[:50]})
            articles = articles.tagged(self.tag)
        if member := self.request.GET.get("member"):
            self.member = Member.objects.published().filter(slug=member).first()
            if self.member is None:
                raise BadRequest(
                    _("Unknown member “%(value)s”.") % {"value": member[:50]}
                )
            articles = articles.about_member(self.member)
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
        return Article.objects.for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        # Lazy: the template reads them inside a cached fragment, so they run
        # only when it is rendered again (after a change of the content).
        # Published ones only (`older_than` chooses them): named one by one.
        neighbours = Article.objects.links()
        context.update(
            tags=article.tags.published().links(),
            members=article.members.published().links(),
            scenarios=article.scenarios.published().links(),
            previous_article=SimpleLazyObject(
                lambda: neighbours.older_than(article).first()
            ),
            next_article=SimpleLazyObject(
                lambda: neighbours.newer_than(article).first()
            ),
            event=article.public_event,
        )
        return context
