"""The answer to a sign-in while locked out (django-axes), in the look of where it was tried.

The admin and the member portal share one lockout: the same failures
count, wherever they were made. Each shows the refusal in its own frame:
an app with a sign-in of its own has `<app>/locked_out.html`; the rest get
AXES_LOCKOUT_TEMPLATE (the admin's).
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import select_template


def lockout_response(request, original_response=None, credentials=None):
    match = getattr(request, "resolver_match", None)
    names = [f"{match.app_name}/locked_out.html"] if match and match.app_name else []
    template = select_template([*names, settings.AXES_LOCKOUT_TEMPLATE])
    return HttpResponse(
        template.render({}, request), status=settings.AXES_HTTP_RESPONSE_CODE
    )
