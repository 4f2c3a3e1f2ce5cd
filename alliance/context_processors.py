from django.conf import settings


def site(request):
    """Expose the configured identity of the site to every template."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_SHORT_NAME": settings.SITE_SHORT_NAME,
        "SITE_TAGLINE": settings.SITE_TAGLINE,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "ICP_FILING_NUMBER": settings.ICP_FILING_NUMBER,
    }
