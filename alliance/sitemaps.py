"""The sitemap of every published page, in both languages."""

from django.contrib.sitemaps import Sitemap
from django.urls import NoReverseMatch, reverse

from news.sitemaps import ArticleSitemap

from .models import Page


class BilingualSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticViewSitemap(BilingualSitemap):
    """The fixed pages: home and the section indexes."""

    changefreq = "daily"
    url_names = [
        "alliance:home",
        "news:article-list",
        "members:member-list",
        "alliance:scenario-list",
        "alliance:event-list",
    ]

    def items(self):
        names = []
        for name in self.url_names:
            try:
                reverse(name)
            except NoReverseMatch:
                continue
            names.append(name)
        return names

    def location(self, item):
        return reverse(item)


class PageSitemap(BilingualSitemap):
    changefreq = "monthly"

    def items(self):
        return (
            Page.objects.published()
            .order_by("order", "slug")
            .only("slug", "updated_at")
        )

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "static": StaticViewSitemap,
    "pages": PageSitemap,
    "news": ArticleSitemap,
}
