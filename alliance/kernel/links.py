"""Which web addresses the site writes into links.

Editors and applicants type addresses (a member's website, an article's
source, an event's site). Only these schemes are ever saved or written into an
`href`: an address such as `javascript:...` would run script when clicked (the
Content-Security-Policy blocks it, but the link should not exist at all).
"""

from urllib.parse import urlsplit

from django import forms
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# What a URL field may hold: an address a browser opens as a page.
WEB_SCHEMES = ("http", "https")
# What a template may link to: those, and an email address.
LINK_SCHEMES = (*WEB_SCHEMES, "mailto")

NOT_A_WEB_ADDRESS = _("Enter a web address that starts with http:// or https://.")
validate_web_address = URLValidator(schemes=WEB_SCHEMES, message=NOT_A_WEB_ADDRESS)


def is_safe_link(url):
    """Whether `url` may be written into an href: http, https or mailto only.

    Browsers ignore tabs and line breaks inside a scheme and trim leading
    spaces and control characters, so those never pass.
    """
    url = str(url or "")
    if not url or url != url.strip() or any(ord(c) < 32 for c in url):
        return False
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return False
    return scheme in LINK_SCHEMES


class WebAddressFormField(forms.URLField):
    default_validators = [validate_web_address]
    default_error_messages = {"invalid": NOT_A_WEB_ADDRESS}


class WebAddressField(models.URLField):
    """A URL field that accepts http and https addresses only (no ftp, no script)."""

    default_validators = [validate_web_address]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebAddressFormField, **kwargs})
