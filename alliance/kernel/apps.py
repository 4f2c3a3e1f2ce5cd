from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """Publishing rules, change tracking, tombstones, the response cache, the API base."""

    name = "alliance.kernel"
    label = "kernel"
    verbose_name = _("Site")

    def ready(self):
        from alliance.kernel import (  # noqa: F401 - the schema and checks register themselves
            changes,
            checks,
            proxy_cache,
            publishing,
            tombstones,
        )
        from alliance.kernel.api import schema  # noqa: F401

        publishing.connect()
        tombstones.connect()
        changes.connect()
        proxy_cache.connect()
