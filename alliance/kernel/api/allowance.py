"""The anonymous clients' allowance of API requests, counted before any cache.

Every request to the API without a partner key counts once against its
client's allowance (`API_ANON_RATE`, per address), whether the response
cache answers it or a view renders it: counting comes first, so a cached
answer costs a client as much as a fresh one, and the cache knows nothing
of allowances. Past the allowance the client gets the API's own 429 in
JSON, in its language, with the seconds to wait in `Retry-After`.

Requests with a key are left to the API, which checks the key (401 when it
is wrong) and counts it against that key's own allowance (`PartnerThrottle`).
Methods the API does not answer are left to it too, so that they get their
405 whatever the allowance says.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from alliance.kernel.api.backends import AnonymousThrottle, presented_key

API_PREFIX = "/api/"
COUNTED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AnonymousAllowanceMiddleware:
    """Count anonymous API requests; answer 429 once a client has used its allowance.

    It sits above the response cache, so that every request is counted
    exactly once, from the cache or not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.path.startswith(API_PREFIX)
            and request.method in COUNTED_METHODS
            and not presented_key(request)
        ):
            throttle = AnonymousThrottle()
            if not throttle.allow_request(request, view=None):
                return refusal(request, throttle.wait())
        return self.get_response(request)


def refusal(request, wait):
    """The API's 429: `{"status": 429, "detail": ...}` and `Retry-After`."""
    with translation.override(api_language(request)):
        refused = exceptions.Throttled(wait)
        body = {"status": refused.status_code, "detail": str(refused.detail)}
        response = HttpResponse(
            JSONRenderer().render(body),
            status=refused.status_code,
            content_type="application/json",
        )
        response["Content-Language"] = translation.get_language()
    if refused.wait is not None:
        response["Retry-After"] = str(refused.wait)
    patch_vary_headers(response, ["Accept-Language", "X-Api-Key"])
    return response


def api_language(request):
    """The language the API would answer in: `?lang=`, else the browser's choice."""
    requested = request.GET.get("lang")
    if requested in dict(settings.LANGUAGES):
        return requested
    return translation.get_language_from_request(request)
