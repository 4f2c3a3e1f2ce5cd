"""The sitemap of every published page, in both languages, with `django.contrib.sitemaps`.

`/sitemap.xml` is a sitemap index; each section (`SITEMAPS` in alliance/project/urls.py,
each app's sections in its own `sitemaps.py`) is served at `/sitemap-<section>.xml`,
in pages (`?p=`). Every object is listed once per language, each entry naming
all its translations and the default language's page as `x-default` (hreflang
alternates), as search engines ask of a multilingual site: the framework's
`i18n`, `alternates` and `x_default`.

At 100,000 articles the framework as it comes took seconds per request: it
loads every object of a section to paginate it and to find its latest change.
A `BilingualSitemap` hands it instead, for one page, the objects of one range
of primary keys, read with their slug and the day of their last change only.
The ranges are fixed, `limit` keys wide, counted from the range of the first
published object: page 1 (the bare address) is that range, page p the
(p - 1)th after it. A page is then one indexed range scan at any depth, the
index needs one aggregate per section and no count, and a page changes only
when one of its own objects does, so crawlers are not sent to refetch the
whole section for every new article. A range can be thin, or after
deletions empty (an empty but valid page); the index lists every page from
the first published object's to the last one's.

The views are the framework's, kept in the response cache until the content
changes, and answering conditional requests with the site's change time.
"""

import functools

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.db.models import F, Max, Min
from django.db.models.functions import Greatest, TruncDate
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import condition

from alliance.kernel.http import allow
from alliance.kernel.publishing import slug_url
from alliance.kernel.response_cache import last_modified, remember

# The framework's template for a section, without its whole-page `spaceless`
# and `date` filter (a page's lastmods are days already) and the
# changefreq and priority no section sets: a third less time to render a page.
SECTION_TEMPLATE = "sitemaps/section.xml"

# Beyond any primary key: a page number this large is refused before it is asked.
MAX_PAGE = 10**9


class KeyRangePaginator:
    """The pages of a `BilingualSitemap`: fixed ranges of primary keys.

    Only what the framework's views use of a Paginator: `page()` and `num_pages`.
    """

    def __init__(self, sitemap):
        self.sitemap = sitemap

    @property
    def num_pages(self):
        return self.sitemap.overview["last_page"]

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer.") from None
        if not 0 < number < MAX_PAGE:
            raise EmptyPage("That page contains no results.")
        objects = self.sitemap.page_items(number)
        # An empty page is one of the section's if the index lists it.
        if not objects and number > self.num_pages:
            raise EmptyPage("That page contains no results.")
        languages = self.sitemap._languages()
        entries = [(obj, code) for obj in objects for code in languages]
        return Page(entries, number, self)


class BilingualSitemap(Sitemap):
    """One section of the sitemap: a model's published objects, in every language.

    Subclasses say where the objects come from (`items`, always from the
    model's `published()`), which route shows one (`url_name`, taking the
    slug) and which fields tell when it last changed (the latest of them).
    """

    i18n = True
    alternates = True
    x_default = True
    # Objects per page: 250 (500 addresses with their alternates, about
    # 200 KB) keeps a page quick to serve and to compress for crawlers.
    limit = 250
    url_name = ""
    lastmod_fields = ("updated_at",)

    def items(self):
        raise NotImplementedError

    def page_items(self, number):
        """The objects of page `number`, in key order: their slug and day of last change.

        As rows of these two values: making model instances of them took as
        long as the rest of the page.
        """
        start = (number - 1 + self.overview["first_range"]) * self.limit
        objects = self.items().filter(pk__gt=start, pk__lte=start + self.limit)
        if hasattr(objects, "rewrite"):
            # modeltranslation reworks each row to fill in fallbacks; neither
            # field read here is translated.
            objects = objects.rewrite(False)
        return list(objects.order_by("pk").values("slug", changed_on=self.changed_on()))

    def changed_on(self):
        """The day of the last change, in the site's time zone, as the database works it out.

        Reading the datetimes and converting them in Python took most of a page's time.
        """
        fields = [F(name) for name in self.lastmod_fields]
        changed = Greatest(*fields) if len(fields) > 1 else fields[0]
        return TruncDate(changed, tzinfo=timezone.get_current_timezone())

    @functools.cached_property
    def overview(self):
        """Where the pages start and end, and the latest change of the section, in one aggregate.

        Minimums and maximums only, so that PostgreSQL answers each from an
        index. The views make a new sitemap for each request (SITEMAPS holds
        the classes), so this is read at most once a request.
        """
        latest = {f"latest_{name}": Max(name) for name in self.lastmod_fields}
        row = self.items().aggregate(first=Min("pk"), last=Max("pk"), **latest)
        changes = [row[key] for key in latest if row[key] is not None]
        # How many whole ranges of keys lie before the first published object's.
        first_range = (row["first"] - 1) // self.limit if row["first"] else 0
        last_range = (row["last"] - 1) // self.limit if row["last"] else 0
        return {
            "first_range": first_range,
            "last_page": last_range - first_range + 1,
            "latest": max(changes, default=None),
        }

    @property
    def paginator(self):
        return KeyRangePaginator(self)

    def location(self, item):
        # Under the entry's language, which the framework activates.
        return slug_url(self.url_name, item["slug"])

    def lastmod(self, item):
        return item["changed_on"]

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        # The framework makes the x-default address by removing the first
        # "/<default language>/" from the default language's: with the default
        # language unprefixed that would cut a slug such as "en" out of it.
        # The default language's own address is the one.
        for url in urls:
            by_language = {alt["lang_code"]: alt for alt in url["alternates"]}
            if "x-default" in by_language:
                default = by_language[settings.LANGUAGE_CODE]["location"]
                by_language["x-default"]["location"] = default
        return urls

    def get_latest_lastmod(self):
        """The section's latest change, which stands for each of its pages in the index.

        Finding each page's own would read the whole section.
        """
        latest = self.overview["latest"]
        return latest.replace(microsecond=0) if latest else None


# --- Views ------------------------------------------------------------------


def _last_change(request, *args, **kwargs):
    return last_modified()


def _xml_response(content):
    response = HttpResponse(content, content_type="application/xml")
    # The sitemap guides crawlers; it is no page of its own in search results.
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


def _rendered(response):
    return response.render().content.decode()


@allow("GET")
@condition(last_modified_func=_last_change)
def index(request, sitemaps):
    """The sitemap index: every page of every section."""
    origin = f"{request.scheme}://{request.get_host()}"
    content = remember(
        f"sitemap-index:{origin}",
        lambda: _rendered(
            sitemap_views.index(request, sitemaps, sitemap_url_name="sitemap-section")
        ),
    )
    return _xml_response(content)


@allow("GET")
@condition(last_modified_func=_last_change)
def section(request, sitemaps, section):
    """One page of a section: each object once per language, with its alternates."""
    if section not in sitemaps:
        raise Http404("No such sitemap section.")
    page = request.GET.get("p", "1")
    # ASCII digits only, and few enough to stay a valid primary key range: one
    # cache entry per page, however its number is written.
    if not (page.isascii() and page.isdigit() and len(page) < 10):
        raise Http404("No such sitemap page.")
    origin = f"{request.scheme}://{request.get_host()}"
    # A page of a thousand addresses costs more to build than to fetch: it is
    # kept like a shared fragment until the content changes.
    content = remember(
        f"sitemap:{section}:{int(page)}:{origin}",
        lambda: _rendered(
            sitemap_views.sitemap(
                request, sitemaps, section=section, template_name=SECTION_TEMPLATE
            )
        ),
    )
    return _xml_response(content)
