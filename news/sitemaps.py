from django.contrib.sitemaps import Sitemap

from .models import Article


class ArticleSitemap(Sitemap):
    """Every published article, in every language."""

    changefreq = "weekly"
    i18n = True
    alternates = True
    x_default = True
    limit = 5000

    def items(self):
        return (
            Article.objects.published()
            .order_by("-published_at", "-pk")
            .only("slug", "updated_at")
        )

    def lastmod(self, item):
        return item.updated_at
