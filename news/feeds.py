"""RSS 2.0 and Atom feeds of published articles, in the language of the address."""

import re

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.kernel.context_processors import site as site_identity
from alliance.kernel.rich_text import render_rich_text

from .models import Article

# XML 1.0 cannot carry most control characters; one in a title must not break the feed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def xml_safe(text):
    return CONTROL_CHARACTERS.sub("", text or "")


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with each article's body in `content:encoded`."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(Atom1Feed):
    """Atom with each article's body as its HTML `content`."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestArticlesFeed(Feed):
    feed_type = RssWithContent
    description = _("The latest news of the alliance.")

    def get_object(self, request):
        # The site's name and tagline as its pages show them, in the feed's language.
        return {
            **site_identity(request),
            "home": request.build_absolute_uri(reverse("alliance:home")),
        }

    def title(self, site):
        return gettext("%(site_name)s: News") % {"site_name": site["SITE_NAME"]}

    # The site is the feed's author (Atom requires one where entries have
    # none); an article's byline names the author of that entry.
    def author_name(self, site):
        return site["SITE_NAME"]

    def author_link(self, site):
        return site["home"]

    def link(self):
        return reverse("news:article-list")

    def items(self):
        return Article.objects.published().newest_first()[:20]

    def item_title(self, item):
        return xml_safe(item.title)

    def item_description(self, item):
        return xml_safe(item.summary)

    def item_extra_kwargs(self, item):
        # The body as the article's page shows it: the same cleaned HTML.
        return {"content": xml_safe(render_rich_text(item.body))}

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return xml_safe(item.byline) or None


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = AtomWithContent
    subtitle = LatestArticlesFeed.description
