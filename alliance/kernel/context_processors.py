from django.conf import settings
from django.utils.translation import get_language


def site(request):
    """Expose the configured identity of the site, in the page's language, to every template."""
    chinese = (get_language() or "").startswith("zh")
    return {
        "SITE_NAME": (chinese and settings.SITE_NAME_ZH_HANS) or settings.SITE_NAME,
        "SITE_SHORT_NAME": settings.SITE_SHORT_NAME,
        "SITE_TAGLINE": (chinese and settings.SITE_TAGLINE_ZH_HANS)
        or settings.SITE_TAGLINE,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "ICP_FILING_NUMBER": settings.ICP_FILING_NUMBER,
        "LANGUAGE_COOKIE_NAME": settings.LANGUAGE_COOKIE_NAME,
    }
