"""Which HTTP methods each address answers, as clients expect it.

HEAD wherever GET works, OPTIONS everywhere (200 with `Allow`), and 405 with
`Allow` for any other method, before the view reads a single parameter: a
PUT with a malformed query is told that PUT is not allowed, not that the
query is malformed. Class-based views and the API (REST framework) know their
methods already; function views say theirs with `@allow(...)`.
"""

from functools import wraps

from django.http import HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import get_conditional_response, set_response_etag
from django.utils.http import parse_http_date_safe

# The order Allow lists them in.
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _complete(methods):
    methods = {method.upper() for method in methods} | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return tuple(method for method in METHOD_ORDER if method in methods)


def options_response(allowed):
    response = HttpResponse(status=200)
    response["Allow"] = ", ".join(allowed)
    response["Content-Length"] = "0"
    return response


def not_allowed_response(request, allowed):
    response = HttpResponse(
        f"{request.method} is not allowed here. Allowed: {', '.join(allowed)}.\n",
        status=405,
        content_type="text/plain; charset=utf-8",
    )
    response["Allow"] = ", ".join(allowed)
    return response


def allow(*methods):
    """Let a function view answer `methods`; HEAD comes with GET, OPTIONS with any.

    Anything else gets 405 with `Allow`, whatever the query string holds.
    Works on any callable view, a syndication `Feed` instance included.
    """
    allowed = _complete(methods)

    def decorator(view):
        @wraps(view, updated=())
        def inner(request, *args, **kwargs):
            if request.method == "OPTIONS":
                return options_response(allowed)
            if request.method not in allowed:
                return not_allowed_response(request, allowed)
            return view(request, *args, **kwargs)

        inner.allowed_methods = allowed
        return inner

    return decorator


def allowed_methods(view):
    """The methods a resolved view answers, or None when it does not say."""
    if hasattr(view, "allowed_methods"):
        return view.allowed_methods
    # A REST framework viewset's routes, or any class-based view's handlers.
    if actions := getattr(view, "actions", None):
        return _complete(actions)
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if view_class is None:
        return None
    return _complete(
        name for name in view_class.http_method_names if hasattr(view_class, name)
    )


def is_api_view(view):
    """REST framework views answer their own 405s, in JSON, and skip the CSRF check."""
    return hasattr(view, "cls")


class AllowedMethodsMiddleware:
    """Answer OPTIONS and refuse unsupported methods before the CSRF check does.

    Without it, a PUT to a page gets the CSRF failure (403) rather than the
    405 that says what the address does answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        allowed = allowed_methods(view)
        if allowed is None or is_api_view(view):
            return None
        if request.method == "OPTIONS":
            return options_response(allowed)
        if request.method not in allowed:
            return not_allowed_response(request, allowed)
        return None


class HeadAwareConditionalGetMiddleware(ConditionalGetMiddleware):
    """Django's conditional GET, for HEAD as well: the same ETag, and 304 to a match.

    Django leaves HEAD out because a view might skip the body for it. Ours
    render the same body for HEAD as for GET (the server drops it on the
    way out), so the ETag worked out from it is the GET's.
    """

    def process_response(self, request, response):
        if request.method not in ("GET", "HEAD"):
            return response
        if self.needs_etag(response) and not response.has_header("ETag"):
            set_response_etag(response)
        etag = response.get("ETag")
        last_modified = response.get("Last-Modified")
        last_modified = last_modified and parse_http_date_safe(last_modified)
        if etag or last_modified:
            return get_conditional_response(
                request, etag=etag, last_modified=last_modified, response=response
            )
        return response
