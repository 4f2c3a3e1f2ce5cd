"""Site-wide middleware: browser feature policy, and a clean answer when the database is away."""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers

from alliance.kernel.http import allowed_methods

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/"

# The site needs none of these browser features; saying so closes them to injected content.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking", "browsing-topics",
    )
)  # fmt: skip


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class DatabaseUnavailableMiddleware:
    """Answer 503 (a plain page, or JSON for the API) when the database cannot be reached.

    Nothing else is needed to recover: connections are health-checked before
    reuse, so the first request after the database returns opens a new one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError) and not (
            isinstance(exception, DatabaseError)
            and "connection" in str(exception).lower()
        ):
            return None
        logger.error("Database unavailable: %s", exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {
                    "status": 503,
                    "detail": "The service is briefly unavailable. Please retry shortly.",
                },
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response


class RejectNullBytesMiddleware:
    """Refuse query strings that carry NUL characters, which no text field can store.

    PostgreSQL rejects NUL in text with an error; answering 400 here means no
    view has to guard its filters against it. A method the view does not
    answer is left to its 405, which comes first whatever the query holds.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        allowed = allowed_methods(view)
        if allowed is not None and request.method not in allowed:
            return None
        if any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            message = (
                "The address contains a NUL character, which no parameter may hold."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"status": 400, "detail": message}, status=400)
            return HttpResponse(
                message, status=400, content_type="text/plain; charset=utf-8"
            )
        return None


class AdminLanguageMiddleware:
    """Speak the admin in the language its user chose, or their browser asks for.

    The public pages take their language from the address (Chinese under
    /zh-hans/, English without a prefix), so LocaleMiddleware gives every
    unprefixed address English. The admin has one address for all: there
    the language switcher's cookie, then the browser's Accept-Language,
    decide. Placed after LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(ADMIN_PREFIX):
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response
