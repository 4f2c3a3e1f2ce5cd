from alliance.kernel.sitemaps import BilingualSitemap

from .models import Article


class ArticleSitemap(BilingualSitemap):
    """Every published article, in every language.

    An article changes for readers when it is edited and when it goes live:
    a scheduled article, edited before its publish time, must not claim a
    change from before anyone could see it. So the later of the two counts.
    """

    url_name = "news:article-detail"
    lastmod_fields = ("updated_at", "published_at")

    def items(self):
        return Article.objects.published()
