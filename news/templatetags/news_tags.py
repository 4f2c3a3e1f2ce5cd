from django import template
from django.conf import settings

from alliance.kernel.context_processors import site as site_identity
from alliance.kernel.links import is_safe_link

register = template.Library()


@register.simple_tag(takes_context=True)
def article_json_ld(context, article):
    """schema.org NewsArticle data of a published article."""
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.summary,
        "datePublished": article.published_at.isoformat(),
        "dateModified": article.updated_at.isoformat(),
        "mainEntityOfPage": request.build_absolute_uri(article.get_absolute_url()),
        "inLanguage": context.get("LANGUAGE_CODE", settings.LANGUAGE_CODE),
        "publisher": {
            "@type": "Organization",
            "name": site_identity(request)["SITE_NAME"],
        },
    }
    if article.byline:
        data["author"] = {"@type": "Person", "name": article.byline}
    # A rendition, as on the page: never the upload itself.
    if article.cover_large:
        data["image"] = request.build_absolute_uri(article.cover_large.url)
    if is_safe_link(article.source_url):
        data["isBasedOn"] = article.source_url
    return data
