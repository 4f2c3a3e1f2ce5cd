"""The sitemap sections of the alliance's own pages (see alliance/kernel/sitemaps.py)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from alliance.content.models import Event, Initiative, Page, Scenario
from alliance.kernel.sitemaps import BilingualSitemap


class StaticViewSitemap(Sitemap):
    """The fixed pages: home, the section indexes and the form to join."""

    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return [
            "alliance:home",
            "news:article-list",
            "members:member-list",
            "members:join",
            "alliance:scenario-list",
            "alliance:event-list",
            "alliance:initiative-list",
        ]

    def location(self, item):
        return reverse(item)


class PageSitemap(BilingualSitemap):
    url_name = "alliance:page-detail"

    def items(self):
        return Page.objects.published()


class ScenarioSitemap(BilingualSitemap):
    url_name = "alliance:scenario-detail"

    def items(self):
        return Scenario.objects.published()


class EventSitemap(BilingualSitemap):
    url_name = "alliance:event-detail"

    def items(self):
        return Event.objects.published()


class InitiativeSitemap(BilingualSitemap):
    url_name = "alliance:initiative-detail"

    def items(self):
        return Initiative.objects.published()
