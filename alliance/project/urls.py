"""Root URL configuration: only includes.

Reader-facing pages sit under `i18n_patterns`: English unprefixed, Chinese
under /zh-hans/. The API, health checks and the admin keep one address.
"""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language

from alliance.content import sitemaps as content_sitemaps
from alliance.content import views
from alliance.kernel import health, language_notice, sitemaps
from alliance.kernel.api import common as api_common
from alliance.kernel.http import allow
from alliance.project.api_router import router
from members.sitemaps import MemberSitemap
from news.sitemaps import ArticleSitemap

# The sections of /sitemap.xml, each at /sitemap-<section>.xml.
SITEMAPS = {
    "static": content_sitemaps.StaticViewSitemap(),
    "pages": content_sitemaps.PageSitemap(),
    "news": ArticleSitemap(),
    "members": MemberSitemap(),
    "scenarios": content_sitemaps.ScenarioSitemap(),
    "events": content_sitemaps.EventSitemap(),
    "initiatives": content_sitemaps.InitiativeSitemap(),
}

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("sitemap.xml", sitemaps.index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        sitemaps.section,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("i18n/language/", language_notice.choose_language, name="choose-language"),
    path("admin/", admin.site.urls),
    # Django's set_language view: the admin's language switcher posts to it
    # (a GET only sends the reader back; other methods are a 405).
    path("i18n/setlang/", allow("GET", "POST")(set_language), name="set_language"),
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", api_common.SchemaView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        api_common.SwaggerView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    # Anything else under /api/ answers in JSON, not with the HTML 404 page.
    re_path(r"^api/", api_common.api_not_found),
]

urlpatterns += i18n_patterns(
    path("news/", include("news.urls")),
    path("", include("members.urls")),
    path("portal/", include("portal.urls")),
    path("", include("registrations.urls")),
    # Last: it holds the catch-all for site pages such as /about/.
    path("", include("alliance.content.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "alliance.content.views.bad_request"
handler500 = "alliance.content.views.server_error"
