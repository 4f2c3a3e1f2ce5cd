"""The sitemap sections of the alliance's own pages (see alliance/kernel/sitemaps.py)."""

from django.http import Http404
from django.urls import reverse
from django.utils import translation

from alliance.content.models import Event, Initiative, Page, Scenario
from alliance.kernel.sitemaps import BilingualSitemap, languages


class StaticViewSitemap(BilingualSitemap):
    """The fixed pages: home, the section indexes and the form to join."""

    url_names = [
        "alliance:home",
        "news:article-list",
        "members:member-list",
        "members:join",
        "alliance:scenario-list",
        "alliance:event-list",
        "alliance:initiative-list",
    ]

    def overview(self):
        return (1, 1, None)

    def entries(self, page):
        if page not in (None, 1):
            raise Http404("No such sitemap page.")
        entries = []
        for name in self.url_names:
            paths = []
            for code in languages():
                with translation.override(code):
                    paths.append((code, reverse(name)))
            entries.append((paths, None))
        return entries


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
