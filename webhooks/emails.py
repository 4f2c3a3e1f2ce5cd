"""The emails of the webhooks: one function each, run as background tasks.

A mail whose worker died is failed (`WorkerLost`), not sent again by
itself: it may have gone out just before the worker stopped.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from alliance.kernel.tasks import task

from .models import DISABLE_AFTER, Endpoint


@task
def endpoint_disabled(*, endpoint_id):
    """Tell an endpoint's contact that it was disabled, in their language."""
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    with translation.override(endpoint.contact_language):
        site_name = (
            settings.SITE_NAME_ZH_HANS or settings.SITE_NAME
            if translation.get_language() == "zh-hans"
            else settings.SITE_NAME
        )
        send_mail(
            subject=_("Webhook deliveries to %(partner)s are stopped")
            % {"partner": " ".join(endpoint.partner.split())},
            message=render_to_string(
                "webhooks/email/endpoint_disabled.txt",
                {
                    "endpoint": endpoint,
                    "days": DISABLE_AFTER.days,
                    "site_name": site_name,
                },
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[endpoint.contact_email],
        )
