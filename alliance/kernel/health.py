"""Liveness and readiness probes for load balancers and orchestrators."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from alliance.kernel import shared_cache
from alliance.kernel.http import allow


@never_cache
@allow("GET")
def healthz(request):
    """Answer 200 while the process can serve requests at all."""
    return JsonResponse({"status": "ok"})


@never_cache
@allow("GET")
def readyz(request):
    """Answer 200 when the database answers, 503 otherwise.

    The cache is reported but never makes the site unready: without it the
    site serves from the database. "degraded" means Redis is configured and
    does not answer; "local" that there is none (a per-process cache).
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "checks": {"database": "unreachable"}}, status=503
        )
    cache = shared_cache.status()
    return JsonResponse(
        {
            "status": "degraded" if cache == "degraded" else "ok",
            "checks": {"database": "ok", "cache": cache},
        }
    )
