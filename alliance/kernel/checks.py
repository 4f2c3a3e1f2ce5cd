"""System checks of the deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks

from alliance.kernel.shared_cache import is_shared


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache_for_several_workers(app_configs, **kwargs):
    """Several workers without a shared cache each keep their own counts.

    Rate limits (the API's allowance, the join form) are then per worker:
    with four workers a client gets four times its allowance. The sign-in
    lockout is counted in the database and is not affected.
    """
    workers = getattr(settings, "WEB_CONCURRENCY", 1)
    if workers <= 1 or is_shared():
        return []
    return [
        checks.Warning(
            f"WEB_CONCURRENCY is {workers} but no shared cache is configured "
            "(REDIS_URL is unset): each worker counts rate limits on its own, "
            f"so clients get up to {workers} times their allowance.",
            hint="Set REDIS_URL so that every worker shares one cache.",
            id="alliance.W001",
        )
    ]
