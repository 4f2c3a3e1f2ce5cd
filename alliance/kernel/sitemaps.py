"""The sitemap of every published page, in both languages.

`/sitemap.xml` is a sitemap index; each section (`SITEMAPS` in alliance/project/urls.py,
each app's sections in its own `sitemaps.py`)
is served at `/sitemap-<section>.xml`, in pages (`?p=`). Every object is listed
once per language, each entry naming all its translations (hreflang
alternates), as search engines ask of a multilingual site.

The views and the XML are written here rather than with Django's sitemap
framework, which at 100,000 articles took seconds per request: it loads every
object of a section to paginate it and to find its latest change, reverses
each address three times and renders through the template engine.

Pages are fixed ranges of primary keys: page p holds the objects with
(p - 1) * limit < pk <= p * limit. A page is then one indexed range scan at any
depth, the index needs a few index lookups and no count, and a page changes only
when one of its own objects does, so crawlers are not sent to refetch the whole
section for every new article. A range can be thin, or after mass deletions
empty (an empty but valid page); the index lists every range from the first
published object's to the last one's.
"""

from django.conf import settings
from django.db.models import F, Max, Min
from django.db.models.functions import Greatest, TruncDate
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import condition

from alliance.kernel.http import allow
from alliance.kernel.response_cache import last_modified, remember

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Stands for the slug while a detail address is reversed once per language.
SLUG = "slug-placeholder"


def languages():
    return [code for code, _name in settings.LANGUAGES]


class BilingualSitemap:
    """One section of the sitemap: a model's published objects, in every language.

    Subclasses say where the objects come from (`items`, always from the
    model's `published()`), which route shows one (`url_name`, taking the
    slug) and which fields tell when it last changed (the latest of them).
    """

    # Objects per page: 250 (500 addresses with their alternates, about
    # 200 KB) keeps a page quick to serve and to compress for crawlers.
    limit = 250
    url_name = ""
    lastmod_fields = ("updated_at",)

    def items(self):
        raise NotImplementedError

    def overview(self):
        """(first page, last page, latest change), or None when nothing is published.

        Minimum and maximum only, so that PostgreSQL answers each from an index.
        """
        latest = {f"latest_{name}": Max(name) for name in self.lastmod_fields}
        row = self.items().aggregate(first=Min("pk"), last=Max("pk"), **latest)
        if row["first"] is None:
            return None
        changes = [row[key] for key in latest if row[key] is not None]
        return (
            self.page_of(row["first"]),
            self.page_of(row["last"]),
            max(changes, default=None),
        )

    def page_of(self, pk):
        return (pk - 1) // self.limit + 1

    def changed_on(self):
        """The day of the last change, in the site's time zone, as the database works it out.

        Reading the datetimes and converting them in Python took most of a page's time.
        """
        fields = [F(name) for name in self.lastmod_fields]
        changed = Greatest(*fields) if len(fields) > 1 else fields[0]
        return TruncDate(changed, tzinfo=timezone.get_current_timezone())

    def entries(self, page):
        """(path per language, day of the last change) of each object of a page, in pk order.

        `page` None is the section's first page, which always answers (empty
        when nothing is published). Raise Http404 for a page outside the section.
        """
        requested = page
        if page is None:
            overview = self.overview()
            page = overview[0] if overview else 1
        objects = self.items().filter(
            pk__gt=(page - 1) * self.limit, pk__lte=page * self.limit
        )
        if hasattr(objects, "rewrite"):
            # modeltranslation reworks each row of values_list() to fill in
            # fallbacks; neither field read here is translated.
            objects = objects.rewrite(False)
        rows = list(objects.order_by("pk").values_list("slug", self.changed_on()))
        if not rows and requested is not None:
            overview = self.overview()
            if overview is None or not overview[0] <= page <= overview[1]:
                raise Http404("No such sitemap page.")
        # Reverse once per language, not once per object and language.
        patterns = []
        for code in languages():
            with translation.override(code):
                path = reverse(self.url_name, kwargs={"slug": SLUG})
            patterns.append((code, *path.split(SLUG)))
        return [
            (
                [(code, f"{before}{slug}{after}") for code, before, after in patterns],
                changed_on,
            )
            for slug, changed_on in rows
        ]


# --- Views ------------------------------------------------------------------


def _last_change(request, *args, **kwargs):
    return last_modified()


def _origin(request):
    return f"{request.scheme}://{request.get_host()}"


XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _escape(text):
    return text.translate(XML_ESCAPES)


def _xml_response(lines):
    response = HttpResponse("\n".join(lines) + "\n", content_type="application/xml")
    # The sitemap guides crawlers; it is no page of its own in search results.
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    return response


@allow("GET")
@condition(last_modified_func=_last_change)
def index(request, sitemaps):
    """The sitemap index: every page of every section that has published content."""
    origin = _origin(request)
    lines = remember(
        f"sitemap-index:{origin}", lambda: _sitemap_index(sitemaps, origin)
    )
    return _xml_response(lines)


def _sitemap_index(sitemaps, origin):
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<sitemapindex xmlns="{SITEMAP_NS}">',
    ]
    for name, sitemap in sitemaps.items():
        overview = sitemap.overview()
        if overview is None:
            continue
        first, last, latest = overview
        # The section's latest change stands for each of its pages: finding each
        # page's own would read the whole section.
        lastmod = (
            f"<lastmod>{timezone.localtime(latest).isoformat(timespec='seconds')}</lastmod>"
            if latest
            else ""
        )
        location = _escape(origin + reverse("sitemap-section", args=[name]))
        for page in range(first, last + 1):
            loc = location if page == first else f"{location}?p={page}"
            lines.append(f"<sitemap><loc>{loc}</loc>{lastmod}</sitemap>")
    lines.append("</sitemapindex>")
    return lines


@allow("GET")
@condition(last_modified_func=_last_change)
def section(request, sitemaps, section):
    """One page of a section: each object once per language, with its alternates."""
    if section not in sitemaps:
        raise Http404("No such sitemap section.")
    page = request.GET.get("p")
    if page is not None:
        # ASCII digits only, and few enough to stay a valid primary key range.
        if not (page.isascii() and page.isdigit()) or not 0 < int(page) < 10**9:
            raise Http404("No such sitemap page.")
        page = int(page)
    origin = _escape(_origin(request))
    # A page of a thousand addresses costs more to build than to fetch: it is
    # kept like a shared fragment until the content changes.
    lines = remember(
        f"sitemap:{section}:{page}:{origin}",
        lambda: _urlset(sitemaps[section], page, origin),
    )
    return _xml_response(lines)


def _urlset(sitemap, page, origin):
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">',
    ]
    for paths, day in sitemap.entries(page):
        locations = {code: origin + _escape(path) for code, path in paths}
        # Readers of any other language are sent to the default language's page.
        if settings.LANGUAGE_CODE in locations:
            locations["x-default"] = locations[settings.LANGUAGE_CODE]
        alternates = "".join(
            f'<xhtml:link rel="alternate" hreflang="{code}" href="{loc}"/>'
            for code, loc in locations.items()
        )
        lastmod = f"<lastmod>{day.isoformat()}</lastmod>" if day else ""
        lines.extend(
            f"<url><loc>{locations[code]}</loc>{lastmod}{alternates}</url>"
            for code, _path in paths
        )
    lines.append("</urlset>")
    return lines
